from django.urls import path

from apps.oauth.api import authorize, protocol, registry

urlpatterns = [
    path(".well-known/openid-configuration", protocol.OpenIdConfigurationView.as_view(), name="oauth-discovery"),
    path("oauth/authorize", authorize.AuthorizeView.as_view(), name="oauth-authorize"),
    path("oauth/token", protocol.TokenView.as_view(), name="oauth-token"),
    path("oauth/revoke", protocol.RevokeView.as_view(), name="oauth-revoke"),
    path("oauth/userinfo", protocol.UserInfoView.as_view(), name="oauth-userinfo"),
    path("oauth/jwks.json", protocol.JwksView.as_view(), name="oauth-jwks"),
    path("oauth/tenant/widget-key", protocol.WidgetKeyView.as_view(), name="oauth-widget-key"),
    path("oauth/tenant/allowed-domains", protocol.AllowedDomainView.as_view(), name="oauth-allowed-domains"),
    path("sdk/developer/oauth-clients", registry.OAuthClientsView.as_view(), name="oauth-clients"),
    path("sdk/developer/oauth-clients/<str:oauth_client_id>", registry.OAuthClientView.as_view(), name="oauth-client"),
    path(
        "sdk/developer/oauth-clients/<str:oauth_client_id>/rotate-secret",
        registry.OAuthClientSecretView.as_view(),
        name="oauth-client-rotate-secret",
    ),
    path(
        "sdk/developer/oauth-clients/<str:oauth_client_id>/revoked",
        registry.RevokedOAuthClientView.as_view(),
        name="oauth-client-delete-revoked",
    ),
]
