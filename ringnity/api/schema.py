"""Schema generation that describes what the renderer really sends.

* ``EnvelopeAutoSchema`` wraps every 2xx body of an enveloped view as
  ``{"success": true, "data": <body>}``, and adds the error envelope as the
  ``4XX`` answer of every operation.
* ``add_error_envelope`` (a postprocessing hook) publishes ``ErrorEnvelope``
  with the full ``ErrorCode`` enum, contract codes and additions.
"""

from drf_spectacular.openapi import AutoSchema

from ringnity.api.errors import ADDITIONS, ErrorCode
from ringnity.api.renderers import EnvelopeJSONRenderer

ERROR_ENVELOPE_REF = {"$ref": "#/components/schemas/ErrorEnvelope"}


def envelope_schema(data_schema: dict) -> dict:
    return {
        "type": "object",
        "required": ["success", "data"],
        "properties": {"success": {"type": "boolean", "const": True}, "data": data_schema},
    }


class EnvelopeAutoSchema(AutoSchema):
    def _is_enveloped(self) -> bool:
        return any(issubclass(r, EnvelopeJSONRenderer) for r in getattr(self.view, "renderer_classes", []))

    def _get_response_for_code(self, serializer, status_code, media_types=None, direction="response"):
        response = super()._get_response_for_code(serializer, status_code, media_types, direction)
        if not self._is_enveloped():
            return response
        if str(status_code).startswith("2"):
            for media in response.get("content", {}).values():
                if "schema" in media:
                    media["schema"] = envelope_schema(media["schema"])
        return response

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if self._is_enveloped() and not any(str(code).startswith("4") for code in responses):
            responses["4XX"] = {
                "description": "Error envelope.",
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
    }
    return result
