"""From check outcomes to verdicts (ISO/IEC 9646): per scenario, per requirement, per run, and
the waivers that temper them. Below the runner and the report, which both read verdicts."""
