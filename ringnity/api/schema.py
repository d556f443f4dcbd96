"""Schema generation that describes what the renderer really sends.

* ``EnvelopeAutoSchema`` wraps every 2xx body of an enveloped view as
  ``{"success": true, "data": <body>}``, lists each error status the operation can
  answer with one example per error code (found by ``schema_docs.view_errors``), and
  keeps the error envelope as the ``4XX`` answer for anything else.
* ``schema_docs.apply_contract_docs`` (a postprocessing hook) takes every summary and
  description from the contract by operationId; docstrings never reach the docs.
* ``add_error_envelope`` (a postprocessing hook) publishes ``ErrorEnvelope``
  with the full ``ErrorCode`` enum, contract codes and additions.
"""

import json
from functools import cache, lru_cache
from pathlib import Path

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent, force_instance, is_serializer
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ringnity.api import idempotency
from ringnity.api.authentication import CHAT_SESSION_HEADER, TENANT_HEADER, PrincipalAuthentication
from ringnity.api.errors import ADDITIONS, ErrorCode
from ringnity.api.renderers import EnvelopeJSONRenderer
from ringnity.api.schema_docs import error_responses, is_callback_view, view_errors
from ringnity.api.throttling import RequestRateThrottle

ERROR_ENVELOPE_REF = {"$ref": "#/components/schemas/ErrorEnvelope"}
GENERIC_ERROR_EXAMPLE = {
    "success": False,
    "code": "VALIDATION_FAILED",
    "message": "Validation failed.",
    "details": ["name: This field is required."],
}
#: Response headers of every throttled operation (``ringnity.api.throttling.RequestRateThrottle``).
RATE_LIMIT_HEADERS = {
    "RateLimit-Limit": {
        "description": "Requests allowed in the current window by the tightest budget of this request "
        "(its credential's or its client address's; the plan's `api_requests_per_minute[_per_ip]`).",
        "schema": {"type": "integer", "minimum": 0},
    },
    "RateLimit-Remaining": {
        "description": "Requests left in the current window of that budget.",
        "schema": {"type": "integer", "minimum": 0},
    },
    "RateLimit-Reset": {
        "description": "Seconds until that budget's window ends.",
        "schema": {"type": "integer", "minimum": 1},
    },
}
RETRY_AFTER_HEADER = {
    "description": "Seconds to wait before retrying (429 `RATE_LIMITED`).",
    "schema": {"type": "integer", "minimum": 1},
}
REPLAYED_HEADER = {
    "description": "`true` on the stored answer to an earlier request with the same `Idempotency-Key`.",
    "schema": {"type": "string", "enum": ["true"]},
}
#: Published once under ``components.headers`` (``add_response_headers``); operations refer to them.
RESPONSE_HEADERS = {
    **RATE_LIMIT_HEADERS,
    "Retry-After": RETRY_AFTER_HEADER,
    idempotency.REPLAYED_HEADER: REPLAYED_HEADER,
}


def _header_ref(name: str) -> dict:
    return {"$ref": f"#/components/headers/{name}"}


CONTRACT_PATH = Path(__file__).resolve().parents[2] / "docs" / "contract" / "ringnity-openapi.json"


@lru_cache(maxsize=1)
def contract_security_schemes() -> dict:
    return json.loads(CONTRACT_PATH.read_text())["components"]["securitySchemes"]


#: Security schemes beyond the contract's: the visitor credentials its ``RuntimeBearer or anonymous``
#: stands for (README "Live chat"). Declared where an operation takes them; a 401 names them.
ADDITIONAL_SECURITY_SCHEMES = {
    "ChatSession": {
        "type": "apiKey",
        "in": "header",
        "name": CHAT_SESSION_HEADER,
        "description": "The visitor's chat session token (`rn_cs_…`) from `POST /chat/visitor/sessions` or "
        "`POST /chat/visitor/conversations`: 30 days, sliding, revocable. Names the same visitor as its "
        "SDK session, after that session has expired.",
        "x-ringnity-extension": True,
    },
    "AnonymousVisitorStart": {
        "type": "apiKey",
        "in": "header",
        "name": TENANT_HEADER,
        "description": "No credential yet: the tenant's slug starts a new anonymous visitor (session and "
        "conversation starts only). A browser's `Origin` must be one of the tenant's allowed domains "
        "(else 403 `SDK_ORIGIN_NOT_ALLOWED`); a request without `Origin` (a mobile app) passes. Capped per "
        "client address (429 `RATE_LIMITED`). The answer carries the chat session token to send from then on.",
        "x-ringnity-extension": True,
    },
}


def security_scheme_definition(name: str) -> dict:
    """A scheme as published: the contract's definition, or one of ``ADDITIONAL_SECURITY_SCHEMES``."""
    return contract_security_schemes().get(name) or ADDITIONAL_SECURITY_SCHEMES[name]


class ContractSecurityScheme(OpenApiAuthenticationExtension):
    """Documents every ``PrincipalAuthentication`` as the contract security scheme it names.

    The definition is copied from the contract, so the generated schema and the contract can
    never disagree on a scheme's type, header or description.
    """

    target_class = "ringnity.api.authentication.PrincipalAuthentication"
    match_subclasses = True

    @property
    def name(self) -> str:
        return self.target.security_scheme

    def get_security_definition(self, auto_schema):
        return security_scheme_definition(self.name)


@cache
def _documented_json_field(schema_json: str) -> type[serializers.JSONField]:
    @extend_schema_field(json.loads(schema_json))
    class DocumentedJSONField(serializers.JSONField):
        pass

    return DocumentedJSONField


def documented_json_field(schema: dict, **kwargs) -> serializers.JSONField:
    """A field that lets any JSON value through to the service, documented as ``schema``.

    For inputs whose service checks every value itself so one answer lists every bad field: the
    docs show the contract's type (``{"type": "string", "enum": [...]}``), never "any value".
    """
    return _documented_json_field(json.dumps(schema, sort_keys=True))(**kwargs)


def envelope_schema(data_schema: dict) -> dict:
    return {
        "type": "object",
        "required": ["success", "data"],
        "properties": {"success": {"type": "boolean", "const": True}, "data": data_schema},
    }


class EnvelopeAutoSchema(AutoSchema):
    def get_auth(self):
        """One security requirement per scheme the view's ``PrincipalAuthentication`` classes accept.

        Several classes may implement one scheme (each app authenticates its own principals); the
        component is the scheme itself, so they never collide as "identical names". Other classes
        (e.g. the calls' ``sessionToken`` body field) are no scheme and are not listed.
        """
        authenticators = [a for a in self.view.get_authenticators() if isinstance(a, PrincipalAuthentication)]
        if not authenticators:
            return super().get_auth()
        requirements = []
        for authenticator in authenticators:
            for name in authenticator.schemes():
                if {name: []} not in requirements:
                    requirements.append({name: []})
                self.registry.register_on_missing(
                    ResolvedComponent(
                        name=name,
                        type=ResolvedComponent.SECURITY_SCHEMA,
                        object=name,
                        schema=security_scheme_definition(name),
                    )
                )
        return requirements

    def _is_enveloped(self) -> bool:
        return any(issubclass(r, EnvelopeJSONRenderer) for r in getattr(self.view, "renderer_classes", []))

    def _get_response_for_code(self, serializer, status_code, media_types=None, direction="response"):
        response = super()._get_response_for_code(serializer, status_code, media_types, direction)
        if not self._is_enveloped():
            return response
        if str(status_code).startswith("2"):
            # Only JSON answers are enveloped; a text answer (the AI voice call's SDP) is the text itself.
            for media_type, media in response.get("content", {}).items():
                if "schema" in media and media_type.endswith("json"):
                    media["schema"] = envelope_schema(media["schema"])
        return response

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        schema.pop("description", None)  # a serializer's docstring is written for developers, not readers
        return schema

    def _get_request_for_media_type(self, serializer, direction="request"):
        """A PATCH body is partial only where the view says so (``request=Input(partial=True)``, as it then
        validates): drf-spectacular would make every PATCH body partial (a ``Patched...`` component with no
        required field) although these views validate the whole input, so generated clients sent bodies
        the server refuses (``failCallSession`` without its required ``status``)."""
        instance = force_instance(serializer)
        if self.method != "PATCH" or not is_serializer(instance) or instance.partial:
            return super()._get_request_for_media_type(serializer, direction)
        self.method = "PUT"  # what the base class reads to decide "partial"; restored below
        try:
            return super()._get_request_for_media_type(instance, direction)
        finally:
            self.method = "PATCH"

    def get_description(self):
        """Never a class or method docstring: the contract's text is set by ``apply_contract_docs``."""
        return ""

    def _takes_idempotency_key(self) -> bool:
        return getattr(getattr(self.view, self.method.lower(), None), idempotency.MARKER, False)

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        return [*parameters, idempotency.PARAMETER] if self._takes_idempotency_key() else parameters

    def _get_response_bodies(self, direction="response"):
        responses = self._enveloped_response_bodies(direction)
        if self._takes_idempotency_key():
            for status, response in responses.items():
                if status.startswith("2") and isinstance(response, dict):
                    response.setdefault("headers", {})[idempotency.REPLAYED_HEADER] = _header_ref(
                        idempotency.REPLAYED_HEADER
                    )
        throttles = [] if is_callback_view(self.view) else self.view.get_throttles()
        if any(isinstance(throttle, RequestRateThrottle) for throttle in throttles):
            for status, response in responses.items():
                # On the answers a client acts on: success and 429 (every other error carries them too).
                if isinstance(response, dict) and (status.startswith("2") or status == "429"):
                    headers = response.setdefault("headers", {})
                    headers.update({name: _header_ref(name) for name in RATE_LIMIT_HEADERS})
                    if status == "429":
                        headers["Retry-After"] = _header_ref("Retry-After")
        return responses

    def _enveloped_response_bodies(self, direction):
        responses = super()._get_response_bodies(direction)
        if not self._is_enveloped():
            return responses
        has_body = self.method in {"POST", "PUT", "PATCH"} and self.get_request_serializer() is not None
        errors = view_errors(self.view, self.method, has_body=has_body, has_path_params="{" in self.path)
        for status, response in error_responses(errors, ERROR_ENVELOPE_REF).items():
            responses.setdefault(status, response)
        if "4XX" not in responses:
            responses["4XX"] = {
                "description": "Error envelope (any other client error).",
                "content": {"application/json": {"schema": ERROR_ENVELOPE_REF}},
            }
        return responses


def add_error_envelope(result, generator, request, public):
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["ErrorCode"] = {
        "type": "string",
        "enum": [code.value for code in ErrorCode],
        "description": "Contract codes plus documented additions: "
        + "; ".join(f"`{code}`: {text}" for code, text in ADDITIONS.items()),
    }
    schemas["ErrorEnvelope"] = {
        "type": "object",
        "required": ["success", "code", "message"],
        "properties": {
            "success": {"type": "boolean", "const": False},
            "code": {"$ref": "#/components/schemas/ErrorCode"},
            "message": {"type": "string"},
            "details": {"type": "array", "items": {"type": "string"}},
        },
        # What a viewer shows for an error without an example of its own (else: the enum's first code,
        # SDK_CLIENT_NOT_FOUND, on every operation).
        "example": GENERIC_ERROR_EXAMPLE,
    }
    return result


def add_response_headers(result, generator, request, public):
    """Publishes the response headers operations refer to (rate limits, ``Idempotent-Replayed``)."""
    result.setdefault("components", {}).setdefault("headers", {}).update(RESPONSE_HEADERS)
    return result
