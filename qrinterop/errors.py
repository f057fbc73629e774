"""Failures the harness names: those that end a run before or outside the scenarios (each with
its exit code), and the SUT's faults at its test-control API that decide a scenario's verdict."""

from __future__ import annotations


class UsageError(Exception):
    """Bad options or unusable input files: exit code 2."""

    exit_code = 2


class LaunchError(Exception):
    """The SUT or a simulator could not be started: the run is inconclusive, exit code 3."""

    exit_code = 3


class SutUnreachable(Exception):
    """The SUT did not answer a test-control call (connection refused, reset or timed out)."""


class ControlRefused(Exception):
    """The institution answered a test-control call with an error status. ``by_sut``: an
    institution under certification refused (its verdict), not a simulator (a harness fault)."""

    def __init__(self, status: int, detail: str, by_sut: bool = False,
                 call: str = "") -> None:
        super().__init__(f"{call + ': ' if call else ''}HTTP {status}: {detail}")
        self.status = status
        self.detail = detail
        self.by_sut = by_sut


class ContractBroken(Exception):
    """The institution's answer to a test-control call breaks the contract
    (control-api.openapi.json): not JSON, a status the operation does not allow, or a body
    its schema refuses. ``by_sut`` as for :class:`ControlRefused`: an institution under
    certification breaks ``requirement``; a simulator that does is the harness's fault."""

    def __init__(self, call: str, problems: list[str], by_sut: bool,
                 requirement: str | None) -> None:
        rule = f"control-api.openapi.json{', ' + requirement if by_sut and requirement else ''}"
        super().__init__(f"{call}: the answer breaks the test-control contract ({rule}): "
                         f"{'; '.join(problems)}")
        self.problems = problems
        self.by_sut = by_sut
        self.requirement = requirement if by_sut else None


class ClockIgnored(ControlRefused):
    """The institution took ``PUT /control/clock`` but its clock does not read what it was
    set to: a scenario that needs the time cannot be judged (inconclusive while setting up),
    for the rule it tests may be right by the wall clock."""

    def __init__(self, call: str, detail: str) -> None:
        super().__init__(200, detail, by_sut=True, call=call)


class AnswerLacks(KeyError):
    """A step looked for ``field`` in what an institution answered (a test-control call, a
    message the harness delivered) and it is not there: a payment the SUT declined has no
    voucher number to refund. ``by_sut`` as for :class:`ControlRefused`: the SUT's answer
    decides the scenario (fail, or inconclusive while setting up), a simulator's is the
    harness's fault. A KeyError, so that code that already catches one still does."""

    def __init__(self, field: object, call: str, answer: dict, by_sut: bool) -> None:
        status = ", ".join(f"{name} {answer[name]!r}" for name in ("status", "respCode")
                           if name in answer)
        super().__init__(f"{call}: the answer has no {field!r}"
                         f"{f' ({status})' if status else ''}: the scenario needed it")
        self.field = field
        self.by_sut = by_sut

    def __str__(self) -> str:       # KeyError's own quotes its message
        return str(self.args[0])
