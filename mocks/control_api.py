"""The reference institution's test-control API (the upper tester's handle on it): the
HTTP layer over :class:`mocks.institution.Institution`, checked against the profile's OpenAPI
document before any handler runs, and answering refusals as ``{"error": ...}`` with their
status."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING

from aiohttp import web

from mocks.node import NetworkConfigError
from qrinterop.protocol import clock
from qrinterop.protocol.bindings.base import TEST_CASE_HEADER
from qrinterop.protocol.canonical import strict_loads
from qrinterop.protocol.control_api import ControlApiSpec

if TYPE_CHECKING:
    from mocks.institution import Institution

CAMEL = {"resp_code": "respCode", "merchant_id": "merchantId", "order_no": "orderNo",
         "txn_no": "txnNo", "voucher_num": "voucherNum", "settle_date": "settleDate",
         "settle_key": "settleKey", "created_at": "createdAt", "orig_voucher": "origVoucherNum",
         "order_time": "orderTime", "code_type": "codeType"}
PASSWORD_RESULTS = {"confirm": "00", "wrong-password": "65", "cancel": "30"}


#: What the books keep for the institution's own rules and the test-control contract does not
#: show: the risk tier a payment was counted under, the QRC order type it carried.
INTERNAL = frozenset({"risk_tier", "order_type"})


def public_view(txn: dict) -> dict:
    return {CAMEL.get(k, k): v for k, v in txn.items() if k not in INTERNAL}


class ControlError(Exception):
    """A test-control request the institution refuses before any message is sent."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _fen(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ControlError(400, f"amount must be a positive integer number of fen, got {value!r}")
    return value


async def _json(request: web.Request) -> dict:
    try:
        body = strict_loads(await request.read())
    except ValueError as exc:       # UnicodeDecodeError too
        raise ControlError(400, f"request body is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ControlError(400, "request body must be a JSON object")
    return body


def _tier(value: object) -> str:
    if value not in ("A", "B", "C", "D"):
        raise ControlError(400, f"riskTier must be A, B, C or D, got {value!r}")
    return value


def _field(body: dict, name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise ControlError(400, f"missing string field {name!r}")
    return value


class ControlApi:
    """The upper tester's handle on the institution: make it act without a human."""

    def __init__(self, institution: Institution) -> None:
        self.inst = institution

    def routes(self) -> list[web.RouteDef]:
        return [
            web.put("/control/network", self.join_network),
            web.post("/control/accounts", self.open_account),
            web.get("/control/accounts/{account}", self.get_account),
            web.put("/control/accounts/{account}", self.update_account),
            web.post("/control/merchant-codes", self.create_merchant_code),
            web.post("/control/payment-codes", self.create_payment_code),
            web.post("/control/wallet/pay", self.wallet_pay),
            web.post("/control/wallet/password", self.wallet_password),
            web.post("/control/terminal/charge", self.terminal_charge),
            web.post("/control/terminal/refund", self.terminal_refund),
            web.post("/control/terminal/void", self.terminal_void),
            web.get("/control/transactions", self.list_transactions),
            web.get("/control/transactions/{ref}", self.get_transaction),
            web.get("/control/merchants/{merchantId}", self.get_merchant),
            *clock_routes(),
        ]

    async def join_network(self, request: web.Request) -> dict:
        network = await _json(request)
        self.inst.join(network)
        return {"participants": len(self.inst.participants)}

    async def open_account(self, request: web.Request) -> dict:
        body = await _json(request)
        account = body.get("account") or f"ACC{secrets.token_hex(6).upper()}"
        if self.inst.ledger.account(account) is not None:
            raise ControlError(400, f"account {account} already exists")
        balance = body.get("balance", 0)
        if not isinstance(balance, int) or balance < 0:
            raise ControlError(400, "balance must be a non-negative integer number of fen")
        try:
            self.inst.ledger.open_account(account, balance, _tier(body.get("riskTier", "C")),
                                          body.get("accountType", "debit"))
        except ValueError as exc:
            raise ControlError(400, str(exc)) from None
        return self.account_view(account)

    def account_view(self, account: str) -> dict:
        row = self.inst.ledger.account(account)
        if row is None:
            raise ControlError(404, f"no account {account}")
        return {"account": row["id"], "balance": row["balance"], "riskTier": row["risk_tier"]}

    async def get_account(self, request: web.Request) -> dict:
        view = self.account_view(request.match_info["account"])
        if self.inst.defects.on("control-balance-as-text"):
            view["balance"] = f"{view['balance'] / 100:.2f}"
        return view

    async def update_account(self, request: web.Request) -> dict:
        account, body = request.match_info["account"], await _json(request)
        self.account_view(account)
        balance = body.get("balance")
        if balance is not None and (not isinstance(balance, int) or balance < 0):
            raise ControlError(400, "balance must be a non-negative integer number of fen")
        tier = _tier(body["riskTier"]) if "riskTier" in body else None
        held = self.inst.ledger.balance(account) - self.inst.ledger.available(account)
        if balance is not None and balance < held:
            # The payments in flight could then not be debited when the switch approves them.
            raise ControlError(400, f"balance {balance} is below the {held} fen that payments"
                                    " in flight have set aside")
        try:
            self.inst.ledger.update_account(account, balance, tier, body.get("accountType"))
        except ValueError as exc:
            raise ControlError(400, str(exc)) from None
        return self.account_view(account)

    async def create_merchant_code(self, request: web.Request) -> dict:
        body = await _json(request)
        spec = {"name": _field(body, "name") if "merchantId" not in body else body.get("name"),
                "mcc": body.get("mcc", "5812"), "city": body.get("city", "BEIJING"),
                "localName": body.get("localName"), "localCity": body.get("localCity"),
                "merchantId": body.get("merchantId"), "image": bool(body.get("image")),
                "amount": _fen(body["amount"]) if "amount" in body else None,
                "orderType": body.get("orderType", "10")}
        if "owner" in body:
            return await self.inst.apply_for_code(spec, body["owner"],
                                                  request.headers.get(TEST_CASE_HEADER),
                                                  remote=bool(body.get("remote")))
        return self.inst.create_merchant_code(spec)

    async def create_payment_code(self, request: web.Request) -> dict:
        body = await _json(request)
        return self.inst.issue_payment_code(_field(body, "account"), body.get("form", "numeric"))

    async def wallet_pay(self, request: web.Request) -> dict:
        body = await _json(request)
        amount = _fen(body["amount"]) if "amount" in body else None
        txn = await self.inst.pay_merchant_code(_field(body, "account"), _field(body, "code"),
                                                amount, request.headers.get(TEST_CASE_HEADER))
        return public_view(txn)

    async def wallet_password(self, request: web.Request) -> dict:
        body = await _json(request)
        decision = body.get("decision")
        if decision not in PASSWORD_RESULTS:
            raise ControlError(400, f"decision must be one of {', '.join(PASSWORD_RESULTS)},"
                                    f" got {decision!r}")
        txn = await self.inst.decide_password(_field(body, "account"), decision,
                                              request.headers.get(TEST_CASE_HEADER))
        return public_view(txn)

    async def terminal_charge(self, request: web.Request) -> dict:
        body = await _json(request)
        txn = await self.inst.charge(_field(body, "code"), _fen(body.get("amount")),
                                     request.headers.get(TEST_CASE_HEADER),
                                     body.get("orderType"))
        return public_view(txn)

    async def terminal_refund(self, request: web.Request) -> dict:
        body = await _json(request)
        refund_id = body.get("refundId")
        if refund_id is not None and not isinstance(refund_id, str):
            raise ControlError(400, "refundId must be a string")
        txn = await self.inst.undo("refund", _field(body, "voucherNum"),
                                   _fen(body.get("amount")), refund_id,
                                   request.headers.get(TEST_CASE_HEADER))
        return public_view(txn)

    async def terminal_void(self, request: web.Request) -> dict:
        body = await _json(request)
        txn = await self.inst.undo("void", _field(body, "voucherNum"), None, None,
                                   request.headers.get(TEST_CASE_HEADER))
        return public_view(txn)

    async def list_transactions(self, request: web.Request) -> dict:
        """The institution's books for one clearing day, to set beside the switch's file."""
        settle_date = request.query.get("settleDate", "")
        if not (len(settle_date) == 4 and settle_date.isdigit()):
            raise ControlError(400, f"settleDate must be MMDD, got {settle_date!r}")
        rows = self.inst.ledger.db.execute(
            "SELECT * FROM transactions WHERE settle_date = ? ORDER BY created_at",
            (settle_date,))
        return {"settleDate": settle_date,
                "transactions": [public_view(dict(row)) for row in rows]}

    async def get_merchant(self, request: web.Request) -> dict:
        """What the acquirer owes one of its merchants, for a books check."""
        merchant = self.inst.ledger.merchant(request.match_info["merchantId"])
        if merchant is None:
            raise ControlError(404, f"no merchant {request.match_info['merchantId']}")
        return {"merchantId": merchant["id"], "name": merchant["name"],
                "balance": merchant["balance"]}

    async def get_transaction(self, request: web.Request) -> dict:
        txn = self.inst.ledger.transaction(request.match_info["ref"])
        if txn is None:
            raise ControlError(404, f"no transaction {request.match_info['ref']}")
        return public_view(txn)


def clock_routes(keep: Callable[[float], None] = lambda _offset_s: None
                 ) -> list[web.RouteDef]:
    """``GET``/``PUT /control/clock``: every simulator serves them (the switch as well as the
    institutions), so that the harness moves the whole network's clock together. ``keep``
    is also given the offset set (the switch's processes share theirs)."""
    async def put_clock(request: web.Request) -> web.Response:
        answer = await _put_clock(request)
        if answer.status == 200:
            keep(clock.offset_s())
        return answer
    return [web.get("/control/clock", _get_clock), web.put("/control/clock", put_clock)]


def _clock_view() -> web.Response:
    return web.json_response({"offset_s": clock.offset_s(),
                              "now": clock.beijing_now().isoformat(timespec="milliseconds")})


async def _get_clock(_request: web.Request) -> web.Response:
    return _clock_view()


async def _put_clock(request: web.Request) -> web.Response:
    """Checked here too: the switch has no contract middleware in front of it."""
    try:
        body = await _json(request)
        clock.set_offset(body.get("offset_s"))
    except ControlError as exc:
        return web.json_response({"error": str(exc)}, status=exc.status)
    except ValueError as exc:
        return web.json_response({"error": str(exc)}, status=400)
    return _clock_view()


@web.middleware
async def json_answers(request: web.Request, handler) -> web.StreamResponse:
    """Control handlers return dicts; refusals become ``{"error": ...}`` with their status."""
    try:
        result = await handler(request)
    except ControlError as exc:
        return web.json_response({"error": str(exc)}, status=exc.status)
    except NetworkConfigError as exc:   # PUT /control/network: refused whole, nothing applied
        return web.json_response({"error": str(exc)}, status=400)
    if isinstance(result, web.StreamResponse):
        return result
    return web.json_response(result)


def checked_by_contract(institution: Institution):
    """A control request is checked against the OpenAPI document before any handler sees it:
    a body its schema refuses gets 400 naming the problem, and an operation of a role the
    institution does not claim (x-role) gets 409, as from a SUT without that role."""
    spec = ControlApiSpec.of(institution.profile)

    @web.middleware
    async def check(request: web.Request, handler) -> web.StreamResponse:
        if spec.match(request.method, request.path) is None:
            return await handler(request)   # not the contract's: /messages, /sim/, /health
        role = spec.role(request.method, request.path)
        if role is not None and role not in institution.roles:
            raise ControlError(409, f"{institution.id} does not act as {role}")
        # body_exists, not can_read_body: the transport's bound has read the body already.
        if request.body_exists and (problems := spec.request_problems(
                request.method, request.path, await _json(request))):
            raise ControlError(400, "; ".join(problems))
        return await handler(request)
    return check
