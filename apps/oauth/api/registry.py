"""Developer Settings: the tenant's Login with Ringnity OAuth clients (DashboardBearer).

Open to the owner and admins of the tenant (owner or workspace dashboard token), like the rest of
Developer Settings; supervisors and agents get 403. Another tenant's client is simply not found.
Secrets are shown once, in the answer that created or rotated them.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from apps.developer.api.base import DeveloperView
from apps.oauth import selectors, services
from apps.oauth.api import serializers as s
from ringnity.api.views import validate_input

TAGS = ["Developer Settings"]
SECRET_WARNING = "Copy the client secret now: it is stored hashed and will not be shown again."  # noqa: S105


def _client(client) -> dict:
    return s.OAuthClientEnvelopeOutput({"oauthClient": client}).data


def _with_secret(client, secret: str | None) -> dict:
    warning = SECRET_WARNING if secret else "Public clients have no secret."
    return s.OAuthClientSecretOutput({"oauthClient": client, "clientSecret": secret, "warning": warning}).data


class OAuthClientsView(DeveloperView):
    @extend_schema(
        operation_id="listOAuthClients",
        tags=TAGS,
        summary="List Login with Ringnity OAuth clients for the logged-in tenant.",
        responses={200: s.OAuthClientListOutput},
    )
    def get(self, request):
        return Response(s.OAuthClientListOutput(selectors.oauth_client_registry(tenant=self.tenant)).data)

    @extend_schema(
        operation_id="createOAuthClient",
        tags=TAGS,
        summary="Create a Login with Ringnity OAuth client and return its secret once when confidential.",
        request=s.OAuthClientCreateInput,
        responses={201: s.OAuthClientSecretOutput},
    )
    def post(self, request):
        data = validate_input(s.OAuthClientCreateInput, request.data)
        client, secret = services.oauth_client_create(
            tenant=self.tenant,
            name=data["name"],
            client_type=data["type"],
            redirect_uris=data["redirectUris"],
            allowed_scopes=data.get("allowedScopes"),
            require_pkce=data.get("requirePkce"),
        )
        return Response(_with_secret(client, secret), status=201)


class OAuthClientView(DeveloperView):
    @extend_schema(
        operation_id="updateOAuthClient",
        tags=TAGS,
        summary="Update a Login with Ringnity OAuth client.",
        request=s.OAuthClientUpdateInput,
        responses={200: s.OAuthClientEnvelopeOutput},
    )
    def patch(self, request, oauth_client_id: str):
        data = validate_input(s.OAuthClientUpdateInput, request.data)
        client = services.oauth_client_update(tenant=self.tenant, public_id=oauth_client_id, changes=data)
        return Response(_client(client))

    @extend_schema(
        operation_id="revokeOAuthClient",
        tags=TAGS,
        summary="Revoke a Login with Ringnity OAuth client and its refresh tokens.",
        request=None,
        responses={200: s.OAuthClientEnvelopeOutput},
    )
    def delete(self, request, oauth_client_id: str):
        client = services.oauth_client_revoke(tenant=self.tenant, public_id=oauth_client_id)
        return Response(_client(client))


class OAuthClientSecretView(DeveloperView):
    @extend_schema(
        operation_id="rotateOAuthClientSecret",
        tags=TAGS,
        summary="Rotate a confidential OAuth client secret and return the new secret once.",
        request=None,
        responses={200: s.OAuthClientSecretOutput},
    )
    def post(self, request, oauth_client_id: str):
        client, secret = services.oauth_client_secret_rotate(tenant=self.tenant, public_id=oauth_client_id)
        return Response(_with_secret(client, secret))


class RevokedOAuthClientView(DeveloperView):
    @extend_schema(
        operation_id="deleteRevokedOAuthClient",
        tags=TAGS,
        summary="Permanently delete a revoked Login with Ringnity OAuth client.",
        description="This operation only succeeds after the OAuth client has already been revoked.\n"
        "Active OAuth clients must be revoked first so refresh tokens are invalidated before the registry "
        "record is removed.\n",
        request=None,
        responses={200: s.OAuthClientDeletedOutput},
    )
    def delete(self, request, oauth_client_id: str):
        deleted = services.oauth_client_delete(tenant=self.tenant, public_id=oauth_client_id)
        return Response(s.OAuthClientDeletedOutput({"oauthClientId": deleted, "deleted": True}).data)
