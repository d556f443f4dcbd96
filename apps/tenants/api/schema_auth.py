"""The contract's OwnerBearer, WorkspaceBearer, DashboardBearer and ServerApiKey schemes in the generated schema.

Imported by ``apps.tenants.api.auth`` so the extensions are registered whenever the URLs are.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


def _jwt_bearer(description: str) -> dict:
    return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": description}


class OwnerBearerScheme(OpenApiAuthenticationExtension):
    target_class = "apps.tenants.authentication.OwnerJWTAuthentication"
    name = "OwnerBearer"

    def get_security_definition(self, auto_schema):
        return _jwt_bearer(
            "Owner JWT with internal `scope: owner`, issued by `/auth/owner-login` or `/auth/owner-refresh`."
        )


class WorkspaceBearerScheme(OpenApiAuthenticationExtension):
    target_class = "apps.tenants.authentication.WorkspaceJWTAuthentication"
    name = "WorkspaceBearer"

    def get_security_definition(self, auto_schema):
        return _jwt_bearer(
            "Workspace JWT with internal `scope: workspace`, issued by `/auth/workspace-login`, "
            "`/auth/workspace-auto-login`, or `/auth/workspace-refresh`."
        )


class DashboardBearerScheme(OpenApiAuthenticationExtension):
    target_class = "apps.tenants.authentication.DashboardJWTAuthentication"
    name = "DashboardBearer"

    def get_security_definition(self, auto_schema):
        return _jwt_bearer("Logged-in Ringnity owner or workspace dashboard JWT.")


class ServerApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "apps.tenants.authentication.ServerApiKeyAuthentication"
    name = "ServerApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "Ringnity Server API Key",
            "description": "Secret Server API key (`rn_sk_live_...` / `rn_sk_test_...`). "
            "Only for customer-owned backend servers.",
        }
