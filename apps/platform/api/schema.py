"""The contract's ``PlatformBearer`` security scheme for the generated schema."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class PlatformBearerScheme(OpenApiAuthenticationExtension):
    target_class = "apps.tenants.authentication.PlatformJWTAuthentication"
    name = "PlatformBearer"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "Platform admin JWT issued by `/platform/auth/login`.",
        }
