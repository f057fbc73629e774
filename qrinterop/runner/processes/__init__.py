"""The processes of a run: the simulated network and the services (simulators, the SUT)."""
