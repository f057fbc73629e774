"""Drive behave in-process over the suite's ``features/`` with hooks from the library.

behave looks for ``environment.py`` in its base directory — the folder holding ``steps/``,
which is the repository root. Instead of a file there, :class:`SuiteRunner` takes its hooks
from :func:`make_hooks`, which binds them to the run's :class:`Session`: hooks are library
code, tested like the rest, and need no global state to find the session.
"""

from __future__ import annotations

import logging
from pathlib import Path

import allure
from allure_behave.formatter import AllureFormatter
from behave.configuration import Configuration
from behave.model import Scenario, Step
from behave.runner import Context

from qrinterop.runner.bdd.rows import RowsRunner
from qrinterop.runner.scenarios.session import Session


class RunOnlyAllureFormatter(AllureFormatter):
    """allure-behave's formatter, given only the steps of scenarios that run.

    behave shows the formatter the steps of every scenario, a skipped one's too (its
    ``show_skipped`` default). allure-behave queues them, and when ``hide_excluded`` drops a
    scenario left out by ``--tags`` it leaves that scenario's steps queued: the next one that
    runs reports them as its own, with an attachment for every doc string and table among
    them (allure-framework/allure-python#902), hundreds of orphan files in the signed bundle.
    A scenario that does not run (not selected, or not applicable) hands over no step: one
    not selected leaves nothing, one not applicable only its own result, skipped, with why.
    """

    _scenario = None

    def scenario(self, scenario: Scenario) -> None:
        self._scenario = scenario

    def step(self, step: Step) -> None:
        if self._scenario is None or self._scenario.should_run(self.config):
            super().step(step)


ALLURE_FORMATTER = f"{__name__}:{RunOnlyAllureFormatter.__name__}"


class _QuietSkips(logging.Filter):
    """behave logs a warning for every scenario skipped with a reason. The harness reports
    why each scenario did not apply (``not_applicable`` in report.json), so hundreds of such
    lines on stderr would only bury what matters there."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("SKIP ")


logging.getLogger("behave").addFilter(_QuietSkips())


def make_hooks(session: Session) -> dict:
    def before_scenario(context: Context, scenario: Scenario) -> None:
        session.begin(context, scenario)
        if session.skip_reason:     # Allure shows a skipped test without behave's reason
            allure.dynamic.description(f"Not applicable: {session.skip_reason}")

    def after_scenario(_context: Context, scenario: Scenario) -> None:
        session.end(scenario)

    return {"before_scenario": before_scenario, "after_scenario": after_scenario}


class SuiteRunner(RowsRunner):
    """A behave Runner whose hooks come from the library instead of ``environment.py``, its
    ``@rows.`` tables filled (:class:`RowsRunner`)."""

    def __init__(self, config: Configuration, hooks: dict) -> None:
        super().__init__(config)
        self._library_hooks = hooks

    def load_hooks(self, filename: str | None = None) -> None:
        self.hooks.update(self._library_hooks)
        self.hooks.setdefault("before_all", self.before_all_default_hook)


def run_features(features: list[Path], session: Session, tags: str | None,
                 allure_dir: Path) -> None:
    """Run every scenario of the ``features`` (files or folders; those matching ``tags``);
    results land in ``session.results``, one per scenario run."""
    # Scenarios left out by --tags are not results: hide_excluded keeps them out of the
    # Allure results (not-applicable ones stay, as skipped, with their reason, no steps).
    args = [*map(str, features), "--no-summary", "--no-snippets", "--no-junit",
            "--format", ALLURE_FORMATTER, "--outfile", str(allure_dir), "--format", "null",
            "-D", "AllureFormatter.hide_excluded=true"]
    if tags:
        args += ["--tags", tags]
    config = Configuration(command_args=args, load_config=False)
    config.scenario_outline_annotation_schema = "{name}"    # each row's name is its own
    config.setup_model()
    SuiteRunner(config, make_hooks(session)).run()
