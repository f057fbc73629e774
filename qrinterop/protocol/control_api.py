"""The test-control API contract (an OpenAPI 3.1 document in the profile), checked.

An SUT's upper-tester interface is part of what it declares; answers that break the contract
would otherwise surface as confusing step errors far from their cause.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cached_property

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from qrinterop.profile import Profile
from qrinterop.protocol.canonical import strict_loads

DOC_URI = "urn:qrinterop:control-api"


@dataclass
class ControlApiSpec:
    document: dict

    @classmethod
    def of(cls, profile: Profile) -> ControlApiSpec:
        path = profile.folder / profile.manifest["files"]["control_api"]
        return cls(json.loads(path.read_text(encoding="utf-8")))

    def operations(self) -> set[tuple[str, str]]:
        """``(METHOD, path template)`` of every operation."""
        return {(method.upper(), path) for path, item in self.document["paths"].items()
                for method in item if method in ("get", "put", "post", "delete", "patch")}

    @cached_property
    def _registry(self) -> Registry:
        # OpenAPI 3.1 schemas are JSON Schema 2020-12; the document itself has no $schema.
        return Registry().with_resource(DOC_URI, Resource.from_contents(
            self.document, default_specification=DRAFT202012))

    def match(self, method: str, path: str) -> str | None:
        """The path template a concrete path belongs to (``/control/accounts/ACC1`` →
        ``/control/accounts/{account}``); a query string is not part of it."""
        path = path.partition("?")[0]
        for template in self.document["paths"]:
            pattern = "^" + re.sub(r"\{[^/]+\}", "[^/]+", template) + "$"
            if re.match(pattern, path) and method.lower() in self.document["paths"][template]:
                return template
        return None

    def role(self, method: str, path: str) -> str | None:
        """The role (``x-role``) the operation at ``path`` belongs to; None: any institution."""
        template = self.match(method, path)
        return self.document["paths"][template][method.lower()].get("x-role") \
            if template else None

    def request_problems(self, method: str, path: str, body: object) -> list[str]:
        """How a request body breaks its operation's ``requestBody`` schema; [] if it does not
        (or the operation takes no body, or is not one of the contract's)."""
        template = self.match(method, path)
        operation = self.document["paths"][template][method.lower()] if template else {}
        if "requestBody" not in operation:
            return []
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        validator = self._validator(schema["$ref"].removeprefix("#"))
        return [f"{'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message}"
                for e in validator.iter_errors(body)]

    def _validator(self, pointer: str) -> Draft202012Validator:
        return Draft202012Validator({"$ref": f"{DOC_URI}#{pointer}"}, registry=self._registry)

    @property
    def requirement(self) -> str | None:
        """The profile's requirement an institution breaks when it answers against this
        contract (``info.x-requirement``)."""
        return self.document["info"].get("x-requirement")

    def answer_problems(self, method: str, path: str, status: int,
                        text: str | bytes) -> list[str]:
        """How an answer, as it arrived (``text``, its body), breaks the contract: not JSON,
        a status the operation does not allow, or a body its schema for that status refuses;
        [] if it does not."""
        try:
            body = strict_loads(text)
        except ValueError:
            return [f"{method} {self.match(method, path) or path} {status}: $: not JSON: "
                    f"{text[:80]!r}"]
        return self.response_problems(method, path, status, body)

    def response_problems(self, method: str, path: str, status: int, body: object) -> list[str]:
        """Each problem names the operation, the status, the JSON path and what is wrong."""
        template = self.match(method, path)
        if template is None:
            return [f"{method} {path} is not an operation of the test-control API"]
        responses = self.document["paths"][template][method.lower()]["responses"]
        if str(status) not in responses:
            return [f"{method} {template}: status {status} is not one the contract allows "
                    f"(allowed: {', '.join(responses)})"]
        response = responses[str(status)]
        pointer = response.get("$ref", "").removeprefix("#")
        if pointer:
            response = self._resolve(pointer)
        validator = self._validator(_pointer_of(template, method, status, response))
        return [f"{method} {template} {status}: {e.json_path}: {e.message}"
                for e in validator.iter_errors(body)]

    def _resolve(self, pointer: str) -> dict:
        node = self.document
        for part in pointer.strip("/").split("/"):
            node = node[part]
        return node


def _pointer_of(template: str, method: str, status: int, response: dict) -> str:
    schema = response["content"]["application/json"]["schema"]
    return schema["$ref"].removeprefix("#") if "$ref" in schema else (
        f"/paths/{template.replace('/', '~1')}/{method.lower()}/responses/{status}"
        "/content/application~1json/schema")
