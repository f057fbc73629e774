"""Runner: start the simulated network and the SUT, drive behave, turn results into verdicts."""
