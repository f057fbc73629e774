"""One certification run as the scenarios see it: the clients they act through, and the
evidence and verdict each scenario leaves behind.

behave calls :meth:`Session.begin` and :meth:`Session.end` around every scenario (see
``hooks.py``); steps reach the SUT, the peer and the switch through ``context``.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qrinterop.checks.correlation import earlier_owner, transaction_keys
from qrinterop.checks.outcome import Violation
from qrinterop.checks.passive import passive_findings
from qrinterop.checks.record import Record
from qrinterop.checks.record import records as typed
from qrinterop.checks.timing import QUERY_FIRST_FEATURE
from qrinterop.codes.routing import default_table
from qrinterop.errors import ClockIgnored, ContractBroken, ControlRefused, SutUnreachable
from qrinterop.evidence.masking import MaskRule
from qrinterop.evidence.transcript import Transcript
from qrinterop.ics.model import Ics
from qrinterop.inputs import as_evidence
from qrinterop.judging.verdicts import (
    ScenarioResult,
    StepOutcome,
    SutStopped,
    failure_record,
    failure_requirements,
    scenario_verdict,
    warning_record,
)
from qrinterop.profile import Profile
from qrinterop.protocol import clock
from qrinterop.protocol.bindings import binding
from qrinterop.protocol.control_api import ControlApiSpec
from qrinterop.protocol.envelope import Party
from qrinterop.protocol.keyring import KeyRing
from qrinterop.protocol.validation import schema_problems
from qrinterop.runner.processes.network import Network, Participant
from qrinterop.runner.scenarios.clients import Channel, ControlClient, Injector
from qrinterop.runner.scenarios.conservation import network_clients, scenario_findings
from qrinterop.runner.scenarios.observation import observation

if TYPE_CHECKING:        # behave has no type information: these are Any to mypy
    from behave.model import Scenario
    from behave.runner import Context

NOT_RUN = ("skipped", "untested")


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def tag_values(tags: list[str], prefix: str) -> list[str]:
    return [t[len(prefix):] for t in tags if t.startswith(prefix)]


def scenario_id(scenario: Scenario) -> str:
    """The ``@tc.<ID>`` tag, or a slug of the name for scenarios without one."""
    ids = tag_values([str(tag) for tag in scenario.effective_tags], "tc.")
    return ids[0] if ids else re.sub(r"[^A-Za-z0-9]+", "-", scenario.name).strip("-")[:60]


class Session:
    def __init__(self, profile: Profile, ics: Ics, network: Network, run_dir: Path,
                 rerun_prefix: str, on_result: Callable[[ScenarioResult], None]) -> None:
        self.profile = profile
        self.mask_rule = MaskRule.of(profile)       # R-SEC-06; None under 1.0
        self.secrets: set[str] = set()              # payment codes and accounts it masked
        self.ics = ics
        self.network = network
        self.run_dir = run_dir
        self.rerun_prefix = rerun_prefix
        self.on_result = on_result
        self.results: list[ScenarioResult] = []
        self.channel = Channel()
        self.contract = ControlApiSpec.of(profile)
        self.sut_stopped: SutStopped | None = None     # once the SUT's process has ended
        timeout = ics.sut.control_timeout_s or profile.timing["upper_tester_timeout_s"]
        self.sut = self._control(network.sut, timeout)
        # Every peer by its persona's name; the first is the one scenarios call "the peer".
        self.personas = {p.persona: self._control(p, timeout) for p in network.peers}
        self.peer = next(iter(self.personas.values()))
        # The simulators' clocks are set through the same operation, off the transcript (it
        # keeps the SUT's, and a second institution's under test): the switch's unless it is
        # the SUT, and every simulated peer's.
        self._simulator_clocks = [
            ControlClient(p.id, p.control_url, timeout, Channel(), contract=self.contract)
            for p in (network.switch, *network.peers) if p is not network.sut and p.ics is None]
        self.clock_moved = False                # the scenario set the clock: end() resets it
        self.observation = observation(network, timeout)
        speaker = self.observation.speaker
        self.keys = KeyRing.from_registrations(network.registrations())
        self.wire = binding(ics.sut.binding, profile)     # what the SUT speaks
        self.injector = Injector(Party(speaker.id, speaker.own_key, speaker.key_id),
                                 {p.id: p.message_url for p in network.participants},
                                 timeout, self.channel, self.observation.speaks_to_switch,
                                 self.wire, self.keys)
        # The books are read apart from the scenario's transcript: reading them is the
        # harness's check, not something the scenario did.
        self._books_tap, self._books = network_clients(network, timeout)
        self.routes = default_table(profile.folder).extended(
            p.registration for p in network.participants if p is not network.switch)
        self.roles = set(ics.institution.roles)
        self.features = set(ics.institution.features)
        self._started = 0.0
        self.skip_reason: str | None = None     # why the current scenario does not apply
        self._records: list[dict] = []          # the current scenario's, once written
        self.warnings: list[Violation] = []     # what the current scenario's checks warned of
        self.faults: list[str] = []             # the faults it programmed (faults.json)
        # Each transaction key (order, txn, voucher number) to the scenario whose evidence
        # first held it: a notice resent or a query sent after that scenario ended is its.
        self._owners: dict[str, str] = {}

    def _control(self, part: Participant, timeout_s: float) -> ControlClient:
        """The test-control client of a participant; one that comes with an ICS (the SUT, a
        second institution as the peer) with its control timeout and test accounts."""
        its = part.ics
        return ControlClient(part.id, part.control_url,
                             (its and its.sut.control_timeout_s) or timeout_s, self.channel,
                             [a.id for a in its.accounts] if its else [],
                             under_test=its is not None, contract=self.contract)

    @property
    def timing_scale(self) -> float:
        """How much faster than real time the test environment runs the profile's waits."""
        return self.ics.sut.timing_scale

    @property
    def query_first(self) -> frozenset[str]:
        """The SUT, if it declares the query-first style (its CPM purchases' queries are
        paced by WeChat's schedule, ``checks/passive.py``); else none."""
        return frozenset({self.network.sut.id}) if QUERY_FIRST_FEATURE in self.features \
            else frozenset()

    def seconds(self, name: str) -> float:
        """A timing parameter of the profile as the network runs it."""
        return self.profile.seconds(name, self.timing_scale)

    def payment_code_validity(self, party: str) -> float:
        """How long ``party``'s payment codes stay usable, as the network runs it: what the
        SUT's ICS declares (codes.payment_code_validity_s, R-CPM-08), else, and for every
        simulated peer, the profile's payment_code_validity_s."""
        codes = self.ics.codes
        if party == "sut" and codes is not None and codes.payment_code_validity_s is not None:
            return codes.payment_code_validity_s * self.timing_scale
        return self.seconds("payment_code_validity_s")

    def client(self, party: str) -> ControlClient:
        """The test-control client of ``party``: "sut", or a peer persona's name."""
        return self.sut if party == "sut" else self.personas[party]

    def registration(self, party: str) -> dict:
        """What the switch knows of ``party``: "sut", or a peer persona's name."""
        if party == "sut":
            return self.network.sut.registration
        return self.peer_participant(party).registration

    # -- scenario lifecycle ---------------------------------------------------------------------
    def begin(self, context: Context, scenario: Scenario) -> None:
        sid = scenario_id(scenario)
        self.reset_clock()      # left moved only if the last scenario's end() failed
        self._started = time.monotonic()
        self.channel.transcript = Transcript(sid, self.mask_rule)
        self.channel.test_case = sid
        context.session, context.sut, context.peer = self, self.sut, self.peer
        self.sut.opened.clear()
        self.warnings = []
        self.faults = []
        self.skip_reason = self.not_applicable([str(t) for t in scenario.effective_tags]) or (
            self.sut_stopped.reason if self.sut_stopped else None)
        if self.skip_reason:
            scenario.skip(self.skip_reason)
        else:
            self.observation.watch()

    @property
    def excused(self) -> frozenset[str]:
        """The requirements conditional on a feature the ICS does not declare (R-MPM-16
        without unionpay-id15): they bind this SUT in nothing, so a scenario verifying only
        them does not apply and a code finding under one is not held against it; only a
        scenario checking that the SUT refuses the feature (``@absent``) judges them."""
        return frozenset(ident for ident, req in self.profile.requirements.items()
                         if req["level"] == "conditional" and req["feature"] not in self.features)

    def not_applicable(self, tags: list[str]) -> str | None:
        """Why a scenario with these tags does not apply to the SUT, or None if it does:
        ``@role.X`` (any one claimed), ``@feature.Y`` (every one declared) and ``@absent.Z``
        (none declared: behaviour that would contradict the ICS); ``@req.R`` names a
        requirement of the profile in use (a scenario written for a later version checks
        a rule an earlier one does not have), ``@since.V`` no later than its version (a
        message vector spoiling a field version V added), ``@code.C`` a response code it
        has, and one not every ``@req`` of which is :attr:`excused`."""
        if absent := sorted(set(tag_values(tags, "req.")) - set(self.profile.requirements)):
            return f"requirement(s) not in profile {self.profile.name}: {', '.join(absent)}"
        if later := [v for v in tag_values(tags, "since.") if _version(v) > _version(
                self.profile.version)]:
            return f"written for profile version {later[0]}; the run's is {self.profile.name}"
        if unknown := sorted(set(tag_values(tags, "code.")) - set(self.profile.response_codes)):
            return f"response code(s) not in profile {self.profile.name}: {', '.join(unknown)}"
        roles = set(tag_values(tags, "role."))
        if roles and not roles & self.roles:
            return (f"role not claimed: needs {' or '.join(sorted(roles))}, "
                    f"the ICS claims {', '.join(sorted(self.roles))}")
        missing = set(tag_values(tags, "feature.")) - self.features
        if missing:
            return f"feature not declared in the ICS: {', '.join(sorted(missing))}"
        reqs = set(tag_values(tags, "req."))
        if reqs and reqs <= self.excused and not tag_values(tags, "absent."):
            return ("requirement(s) conditional on a feature the ICS does not declare: "
                    + ", ".join(f"{r} ({self.profile.requirements[r]['feature']})"
                                for r in sorted(reqs)))
        if declared := set(tag_values(tags, "absent.")) & self.features:
            return (f"feature declared in the ICS: {', '.join(sorted(declared))} (the "
                    f"scenario checks that an SUT without it refuses it)")
        return next(filter(None, map(self.wire_lacks, tag_values(tags, "wire."))), None)

    def wire_lacks(self, needed: str) -> str | None:
        """Why a scenario about ``needed`` (``@wire.timestamp``: a header field, or ``types``)
        does not apply to an SUT whose wire binding has no room for it; None if it has."""
        if self.wire.carries(needed):
            return None
        return (f"the SUT's wire binding {self.wire.name} carries no {needed} (the profile's "
                f"bindings/bindings.json): the scenario spoils what its wire cannot hold")

    def unsendable(self, msg_type: str, body: dict, needed: str | None) -> str | None:
        """Why a spoilt request cannot reach the SUT spoilt on its wire, or None: it needs a
        header field the wire lacks (``needed``), or its body's fault is a JSON type that a
        text-only wire loses (the value arrives as the right type)."""
        if needed and (lacking := self.wire_lacks(needed)):
            return lacking
        if self.wire.carries("types"):
            return None
        leg = "to-switch" if self.network.sut is self.network.switch else "from-switch"
        sent = self.wire.as_received(msg_type.removesuffix(".request"), f"request.{leg}", body)
        if self._body_problems(msg_type, body, leg) and not self._body_problems(
                msg_type, sent, leg):
            return (f"every value on the {self.wire.name} wire is text: the body's wrong JSON "
                    f"type arrives as the right one")
        return None

    def _body_problems(self, msg_type: str, body: dict, leg: str) -> list[str]:
        message = {"header": {"msgType": msg_type}, "body": body}
        return [p for p in schema_problems(self.profile, message, leg) if p.startswith("body")]

    def does_not_apply(self, scenario: Scenario, reason: str) -> None:
        """Found out by the scenario's first step, before it sent anything: it does not
        apply (its rows cannot tell, as a tag would)."""
        self.skip_reason = reason
        scenario.skip(reason)

    def program_fault(self, fault: str, msg_type: str = "cpm.purchase.request",
                      party: str = "SUT", times: int = 1, **params: object) -> None:
        """Have the point of observation spoil the next exchange(s) of ``msg_type`` between
        ``party`` (the SUT, or a peer by its persona's name) and the switch, in the way the
        profile's ``faults.json`` names ``fault``: the simulated switch spoils its own side,
        a simulated peer around an SUT switch its answers to it."""
        participant = self.network.sut if party == "SUT" else self.peer_participant(party)
        self.observation.program(fault, msg_type, participant.id, times, **params)
        self.faults.append(fault)

    def fault_requirements(self) -> tuple[str, ...]:
        """What the profile's faults.json says the faults programmed this scenario test: a
        check of the behaviour a fault calls for is reported under them."""
        return tuple(dict.fromkeys(requirement for fault in self.faults
                                   for requirement in self.profile.faults[fault]["requirements"]))

    # -- the network's clock --------------------------------------------------------------------
    def set_clock(self, offset_s: float) -> datetime:
        """Move every party's clock ``offset_s`` ahead of the wall clock at once (the SUT's,
        the simulated switch's, every peer's and the harness's own, which stamps what the
        injector sends), so that the whole network agrees on the time; :meth:`end` moves them
        back. An SUT whose clock then does not read the time set raises :class:`ClockIgnored`
        (a scenario set up at a time it cannot reach is inconclusive). Returns the time now."""
        clock.set_offset(offset_s)
        self.clock_moved = True
        for client in self._clock_clients():
            answer = client.set_clock(offset_s)
            if client is self.sut:
                self._check_clock(answer)
        return clock.beijing_now()

    def set_time(self, moment: datetime) -> datetime:
        """Move every party's clock so that it reads ``moment`` (offset-aware) now."""
        return self.set_clock(round(clock.offset_to(moment), 3))

    def reset_clock(self) -> None:
        """Every party's clock back to the wall clock; an SUT that cannot be told (stopped,
        refusing) leaves its verdict to the scenario's steps."""
        if not self.clock_moved:
            return
        self.clock_moved = False
        clock.set_offset(0)
        for client in self._clock_clients():
            try:
                client.set_clock(0)
            except (SutUnreachable, ControlRefused, ContractBroken):
                if not client.under_test:
                    raise

    def _clock_clients(self) -> list[ControlClient]:
        under_test = [c for c in self.personas.values() if c.under_test]
        return [self.sut, *under_test, *self._simulator_clocks]

    def _check_clock(self, answer: dict) -> None:
        """The SUT's clock, as its answer tells, reads the harness's within the profile's
        clock_tolerance_s."""
        told = datetime.fromisoformat(answer["now"])
        drift = abs((told - clock.beijing_now()).total_seconds())
        if drift > self.profile.timing["clock_tolerance_s"]:
            raise ClockIgnored(f"{self.sut.inst_id} PUT /control/clock",
                               f"its clock reads {answer['now']}, {drift:.1f} s from the "
                               f"{clock.beijing_now().isoformat(timespec='seconds')} it was "
                               "set to: the scenario cannot be set at the time it needs")

    def keep(self, name: str, document: dict) -> Path:
        """Keep a document the scenario obtained (a reconciliation file, say) as evidence,
        in the run folder's files/ under the scenario's ID."""
        path = self.run_dir / "files" / f"{self.channel.test_case}.{name}.json"
        path.parent.mkdir(exist_ok=True)
        kept, _changed = as_evidence(document)
        path.write_text(json.dumps(kept, ensure_ascii=False, indent=2, allow_nan=False),
                        encoding="utf-8")
        return path

    def switch_records(self) -> list[Record]:
        """Everything exchanged with the SUT since the current scenario began, as the
        switch's side saw it (``observation.py``), but for late messages of an earlier
        scenario's transaction (``checks.correlation.earlier_owner``): those are its."""
        return [r for r in self.observation.records() if earlier_owner(r, self._owners) is None]

    def naming_scenarios(self, violations: list[Violation]) -> list[Violation]:
        """The violations, each that names a transaction of an earlier scenario (a voucher
        or order number in what it observed: a day-level check, reconciliation or books,
        sees the whole day) saying which scenario's transaction disagrees."""
        named = []
        for violation in violations:
            tokens = re.findall(r"[A-Za-z0-9]{8,}", f"{violation.what} {violation.observed}")
            owners = sorted({self._owners[t] for t in tokens if t in self._owners})
            named.append(replace(violation, observed=f"{violation.observed} (the transaction "
                                 f"of scenario {', '.join(owners)})") if owners else violation)
        return named

    def peer_participant(self, persona: str) -> Participant:
        return next(p for p in self.network.peers if p.persona == persona)

    def sent_to_sut(self, msg_type: str | None = None) -> list[Record]:
        """The messages the SUT was sent this scenario (of one type)."""
        sut = self.network.sut.id
        return [r for r in self.switch_records() if r.sent_to(sut)
                and msg_type in (None, r.msg_type)]

    def end(self, scenario: Scenario) -> ScenarioResult:
        sid = scenario_id(scenario)
        tags = sorted(str(tag) for tag in scenario.effective_tags)
        tagged = tag_values(tags, "req.")
        transcript, passive, sut_findings, other_findings = self._collect(sid)
        outcome = _first_unsuccessful_step(scenario)
        reason: str | None
        if self.skip_reason:
            verdict, reason = "not_applicable", self.skip_reason
        else:
            verdict, reason = scenario_verdict(outcome, sut_findings, other_findings,
                                               len(self.warnings))
        self.sut_stopped = self.sut_stopped or SutStopped.found(self.network.sut.running, sid)
        if self.sut_stopped:
            verdict, reason = self.sut_stopped.judge(sid, verdict, reason)
        warnings = [warning_record(w, tagged) for w in self.warnings]
        bearing = failure_requirements(outcome, tagged) + \
            [r for w in warnings for r in w["requirements"]]
        result = ScenarioResult(
            id=sid, name=scenario.name,
            feature=str(Path(scenario.feature.filename).resolve().relative_to(
                self.network.group.cwd)),
            tags=tags, requirements=list(dict.fromkeys(tagged + bearing)),
            verdict=verdict,
            duration_s=round(time.monotonic() - self._started, 3), transcript=transcript,
            rerun=f"{self.rerun_prefix} --tags @tc.{sid}", steps=_steps(scenario),
            failure={**failure_record(outcome, tagged), "messages": self._involved()}
            if outcome and verdict == "fail" else None,
            passive=passive, reason=reason, warnings=warnings)
        self.channel.transcript = None
        self.reset_clock()      # off the transcript: its last messages stay the scenario's
        result = self.masked(result)
        self.results.append(result)
        self.on_result(result)
        return result

    def masked(self, result: ScenarioResult) -> ScenarioResult:
        """``result`` with every payment code and account reference the scenario's
        transcripts masked masked in its texts too (R-SEC-06): a failure quoting a message,
        a check naming the code it judged."""
        if self.mask_rule is None or not self.secrets:
            return result
        changes: dict[str, Any] = {
            name: self.mask_rule.scrubbed(getattr(result, name), self.secrets)
            for name in ("steps", "failure", "passive", "reason", "warnings")}
        return replace(result, **changes)

    def _involved(self, most: int = 6) -> list[dict]:
        """The scenario's last messages to and from the SUT, for a reader of its failure
        (the upper tester's already masked when captured)."""
        sut = self.network.sut.id
        return [{key: record.get(key) for key in ("n", "time", "from", "to", "msg_type",
                                                  "content")}
                for record in self._records if sut in (record["from"], record["to"])
                and record.get("content") is not None][-most:]

    def _collect(self, sid: str) -> tuple[str | None, dict, int, int]:
        """Merge the switch's records into the transcript, write it, and check it passively."""
        transcript = self.channel.transcript
        assert transcript is not None, "begin() opens the transcript end() collects"
        late: dict[str, Transcript] = {}
        for record in [] if self.skip_reason else self.observation.records():
            owner = earlier_owner(record, self._owners)
            _add(late.setdefault(owner, Transcript(owner, self.mask_rule)) if owner
                 else transcript, record,
                 **({"late_during": sid} if owner else {}))
        for owner, theirs in late.items():
            self._file_late(owner, theirs)
        self._records = []
        if not transcript.records:
            return None, {"messages": 0, "findings": []}, 0, 0
        relative = Path("transcripts") / f"{sid}.jsonl"
        records = self._records = transcript.write(self.run_dir / relative)
        self.secrets |= transcript.secrets
        for key in (k for record in typed(records) for k in transaction_keys(record)):
            self._owners.setdefault(key, sid)
        findings = passive_findings(self.profile, typed(records), self.keys,
                                    self.timing_scale, self.query_first) + \
            self._conservation(records)
        sut_findings = sum(f["sender"] == self.network.sut.id for f in findings)
        checked = sum(1 for r in records if r.get("leg") and r.get("content") is not None)
        return str(relative), {"messages": checked, "findings": findings}, sut_findings, \
            len(findings) - sut_findings

    def _file_late(self, owner: str, late: Transcript) -> None:
        """Add an earlier scenario's late records to its own transcript, and hold what they
        show against that scenario: a message the SUT sent after it ended that breaks the
        profile fails it, not the scenario under way when it came."""
        records = late.append_to(self.run_dir / "transcripts" / f"{owner}.jsonl")
        self.secrets |= late.secrets
        findings = passive_findings(self.profile, typed(records), self.keys)
        result = next((r for r in reversed(self.results) if r.id == owner), None)
        if not findings or result is None:
            return
        passive = result.passive or {"messages": 0, "findings": []}
        result.passive = {**passive, "findings": [*passive["findings"], *findings]}
        if result.verdict in ("pass", "warning") and any(
                f["sender"] == self.network.sut.id for f in findings):
            result.verdict = "fail"
            result.reason = "a message the SUT sent after the scenario ended breaks the profile"

    def _conservation(self, records: list[dict]) -> list[dict]:
        """The SUT's books of the money the scenario moved, against the switch's clearing
        (runner/scenarios/conservation.py); around an SUT switch there is no clearing to read."""
        if self._books_tap is None:
            return []
        opened = {account: balance for account, balance in self.sut.opened.items()
                  if balance is not None}
        return scenario_findings(records, self._books_tap, self._books, self.network.sut.id,
                                 opened, self.injector.vouchers,
                                 self.seconds("observation_grace_s"))


def _add(transcript: Transcript, record: Record, **details: object) -> None:
    """One record of the point of observation into a transcript."""
    transcript.add(record.pco, record.sender, record.receiver,
                   record.kind or "response",      # a log entry's always says
                   record.content, at=record.at, leg=record.leg, msg_type=record.msg_type,
                   note=record.note, deliberate=record.deliberate, **details)


def _steps(scenario: Scenario) -> list[dict]:
    return [{"keyword": step.keyword, "name": step.name, "status": step.status.name,
             "duration_s": round(step.duration, 3) if step.status.name not in NOT_RUN else None}
            for step in scenario.all_steps]


def _first_unsuccessful_step(scenario: Scenario) -> StepOutcome | None:
    for step in scenario.all_steps:
        if step.status.name in ("failed", "error", "undefined", "pending"):
            return StepOutcome(keyword=step.keyword, step_type=step.step_type, text=step.name,
                               status=step.status.name, exception=step.exception,
                               message=step.error_message or step.status.name)
    if scenario.status.name == "hook_error":
        return StepOutcome("", "hook", "(hook)", "error", None, "a behave hook failed")
    return None
