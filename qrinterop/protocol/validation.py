"""Schema validation of messages against the profile, as findings rather than exceptions.

The switch validates every message it relays, and the harness re-validates every message it
observed; both use this one function so they can never disagree about what is well-formed.
"""

from __future__ import annotations

from functools import lru_cache

from jsonschema import Draft202012Validator

from qrinterop.profile import Profile


@lru_cache(maxsize=256)
def _validator(profile: Profile, uri: str) -> Draft202012Validator:
    schema = {"$ref": uri}
    return Draft202012Validator(schema, registry=profile.schema_registry)


def schema_problems(profile: Profile, message: object, leg: str) -> list[str]:
    """Every way ``message`` breaks the schema of its message type on ``leg``; [] if none."""
    if not isinstance(message, dict) or not isinstance(message.get("header"), dict):
        return ["message is not a JSON object with a header"]
    msg_type = message["header"].get("msgType")
    uri = profile.message_schema_uri(str(msg_type), leg)
    if uri is None:
        return [f"unknown message type {msg_type!r}, or not one sent {leg}"]
    errors = _validator(profile, uri).iter_errors(message)
    return sorted(f"{'/'.join(map(str, e.absolute_path)) or '(message)'}: {e.message}"
                  for e in errors)
