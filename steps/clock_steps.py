"""The network's clock, set to the hour a rule turns on instead of waiting for it: the SUT's,
the switch's and every peer's clock move together (``Session.set_clock``), and back after the
scenario. The first time of day a scenario sets is on today's date (Beijing time); a time set
by the hour is the anchor that later steps ("2 seconds past the end of the payment code's
validity") count from, the code or purchase being made just after it was set."""

from datetime import datetime, time, timedelta

from behave import given, register_type, then, when
from parse import with_pattern

from qrinterop.checks.clearing_day import settled_on_clearing_day
from qrinterop.checks.codes import expiry_within_validity
from qrinterop.checks.transactions import expected_outcome, transaction_outcome
from qrinterop.protocol.clock import BEIJING
from qrinterop.runner.bdd.vocabulary import verify

SIDES = {"before": -1, "past": 1, "after": 1}
#: Seconds the steps between setting the clock and the wallet showing a code may take.
EXPIRY_SLACK_S = 2.0


@with_pattern(r"\d{2}:\d{2}:\d{2}")
def parse_time_of_day(text: str) -> time:
    return time.fromisoformat(text)


register_type(TimeOfDay=parse_time_of_day)


def set_clock(context, moment: datetime, anchor: bool = False) -> None:
    """Move the network's clock to ``moment`` (and count later steps from it: ``anchor``)."""
    context.session.set_time(moment)
    context.clock_moment = moment
    if anchor:
        context.clock_anchor = moment


def at(context, time_of_day: time, days_later: int = 0) -> datetime:
    """``time_of_day`` on the scenario's day (today, Beijing time, when first asked)."""
    if getattr(context, "clock_day", None) is None:
        context.clock_day = datetime.now(BEIJING).date()
    return datetime.combine(context.clock_day + timedelta(days=days_later), time_of_day, BEIJING)


@given("the network's clock reads {time_of_day:TimeOfDay} Beijing time")
@when("the network's clock reads {time_of_day:TimeOfDay} Beijing time")
def step_clock_reads(context, time_of_day):
    set_clock(context, at(context, time_of_day), anchor=True)


@when("the network's clock reads {time_of_day:TimeOfDay} Beijing time the next day")
def step_clock_reads_next_day(context, time_of_day):
    set_clock(context, at(context, time_of_day, days_later=1), anchor=True)


@when("the network's clock reads {seconds:d} seconds {side} the end of the payment code's "
      "validity")
def step_clock_at_validity(context, seconds, side):
    validity = context.session.payment_code_validity(getattr(context, "code_issuer", "peer"))
    set_clock(context, context.clock_anchor + timedelta(seconds=validity + SIDES[side] * seconds))


@then("the SUT's wallet gave the payment code an expiry within the validity its ICS declares")
def step_expiry_declared(context):
    """Counted from the time the clock was set to, which the code was shown just after."""
    verify(context, expiry_within_validity(
        context.clock_anchor.timestamp(), context.shown_code.get("expiresAt"),
        context.session.payment_code_validity("sut"), EXPIRY_SLACK_S))


@when("the network's clock reads an hour {side} the end of the profile's refund window for "
      "that purchase")
def step_clock_at_refund_window(context, side):
    days = context.session.profile.business["refund"]["window_days"]["value"]
    set_clock(context, context.clock_anchor + timedelta(days=days, hours=SIDES[side]))


def on_clearing_day(context, client, whose: str) -> list:
    """The violations of ``client``'s booking of the scenario's purchase, made when the clock
    was last set, under another settlement date than that time's clearing day's."""
    booked = client.transaction(context.purchase["voucherNum"])
    return settled_on_clearing_day(booked, context.clock_moment,
                                   context.session.profile.business, whose)


@then("the SUT booked the purchase under the settlement date of the clearing day it was made on")
def step_sut_clearing_day(context):
    verify(context, on_clearing_day(context, context.sut, "the SUT's"))


@then("the payer's institution and the merchant's booked the purchase under the settlement "
      "date of the clearing day it was made on")
def step_both_clearing_day(context):
    payer = context.session.client(context.payer[0])
    verify(context, on_clearing_day(context, payer, "the payer's institution's")
           + on_clearing_day(context, context.counterpart, "the merchant's institution's"))


@given("the network's clock reads {time_of_day:TimeOfDay} Beijing time on the first day of next"
       " month")
def step_clock_next_month(context, time_of_day):
    """A month whose first days are all ahead: a scenario counting over days of one calendar
    month does not run into the next one."""
    today = datetime.now(BEIJING).date()
    context.clock_day = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    set_clock(context, at(context, time_of_day), anchor=True)


def paid_on(context, moment: datetime, amount: int, order_type: str, what: str) -> None:
    """At ``moment``, the peer acquirer's terminal is paid ``amount`` with a fresh payment code
    of the scenario's payer at the SUT, in an order of ``order_type``; it must be approved."""
    set_clock(context, moment, anchor=True)
    context.payment_code = context.sut.create_payment_code(context.payer[1])
    paid = context.peer.charge_payment_code(context.payment_code, amount, order_type)
    verify(context, transaction_outcome(paid, expected_outcome("approved"), what))


@given("the peer acquirer's terminal was paid {amount:Money} in an order of type {order_type} on "
       "each of the next {days:d} days")
def step_paid_daily(context, amount, order_type, days):
    """One purchase a day at the anchor's time of day, from the anchor's day on; the clock is
    left on the day after the last."""
    start = context.clock_anchor
    for day in range(days):
        paid_on(context, start + timedelta(days=day), amount, order_type, f"purchase of day {day}")
    set_clock(context, start + timedelta(days=days), anchor=True)
