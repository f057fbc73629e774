"""Schema validation of messages against the profile, as findings rather than exceptions.

The switch validates every message it relays, and the harness re-validates every message it
observed; both use this one function so they can never disagree about what is well-formed.

Every participant validates every message, so validation is on the hot path. A compiled
validator (jsonschema-rs, about 150 times faster) decides whether a message is valid; only an
invalid one is described, by the reference implementation (jsonschema), whose wording the
findings keep.
"""

from __future__ import annotations

from functools import lru_cache

import jsonschema_rs
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from qrinterop.profile import Profile


@lru_cache(maxsize=256)
def _validator(profile: Profile, uri: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": uri}, registry=profile.schema_registry)


@lru_cache(maxsize=8)
def _compiled_registry(profile: Profile) -> jsonschema_rs.Registry:
    return jsonschema_rs.Registry(profile.message_schemas)


@lru_cache(maxsize=256)
def _compiled(profile: Profile, uri: str) -> jsonschema_rs.Validator:
    # Formats are annotations here, as they are for jsonschema without a format checker.
    return jsonschema_rs.validator_for({"$ref": uri}, registry=_compiled_registry(profile),
                                       validate_formats=False)


def schema_problems(profile: Profile, message: object, leg: str) -> list[str]:
    """Every way ``message`` breaks the schema of its message type on ``leg``; [] if none."""
    if not isinstance(message, dict) or not isinstance(message.get("header"), dict):
        return ["message is not a JSON object with a header"]
    # What a binding kept of the wire (``wire``) is evidence beside the message, not part of it.
    message = {k: v for k, v in message.items() if k != "wire"}
    msg_type = message["header"].get("msgType")
    uri = profile.message_schema_uri(str(msg_type), leg)
    if uri is None:
        return [f"unknown message type {msg_type!r}, or not one sent {leg}"]
    try:
        if _compiled(profile, uri).is_valid(message):
            return []
    except UnicodeEncodeError:      # jsonschema-rs holds only Unicode, JSON's \ud800 is not
        return ["(message): holds a lone surrogate (\\uD800-\\uDFFF), which is not Unicode"]
    errors = _validator(profile, uri).iter_errors(message)
    return sorted(f"{'/'.join(map(str, e.absolute_path)) or '(message)'}: {e.message}"
                  for e in errors)


def file_problem(profile: Profile, schema_file: str, document: object) -> str | None:
    """The most relevant way a whole document (e.g. a reconciliation file) breaks the
    profile's schema ``schema_file``, as "where: what"; None if it does not."""
    uri = profile.messages["schema_base"] + schema_file
    error = best_match(_validator(profile, uri).iter_errors(document))
    if error is None:
        return None
    return f"{'/'.join(map(str, error.absolute_path)) or '(top level)'}: {error.message}"
