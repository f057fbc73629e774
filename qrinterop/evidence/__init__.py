"""Evidence: what was exchanged during each scenario, kept as it happened."""
