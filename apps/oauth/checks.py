"""Deploy checks of Login with Ringnity (``manage.py check --deploy``)."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def oidc_deploy_settings(app_configs, **kwargs):
    problems = []
    if not settings.OIDC_RSA_KEY_FROM_ENVIRONMENT:
        problems.append(
            checks.Warning(
                "ID tokens are signed with the key generated into DATA_DIR (the embedded default).",
                hint="Set OIDC_RSA_PRIVATE_KEY (PEM) in the environment, the same for every web worker.",
                id="oauth.W001",
            )
        )
    if urlsplit(settings.RINGNITY_PUBLIC_URL).scheme != "https":
        problems.append(
            checks.Warning(
                "RINGNITY_PUBLIC_URL (the OpenID Connect issuer) is not an https URL.",
                hint="Set RINGNITY_PUBLIC_URL to the public https address of the API.",
                id="oauth.W002",
            )
        )
    return problems
