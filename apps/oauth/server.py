"""oauthlib's OpenID Connect server narrowed to what Login with Ringnity offers.

* Only ``response_type=code`` and the ``authorization_code`` / ``refresh_token`` grants are
  registered. Anything else falls through to the code handlers, which answer
  ``unsupported_response_type`` (on the redirect, once the client and redirect URI are known) or
  ``unsupported_grant_type``: no implicit, hybrid, password, client-credentials or device flow.
* PKCE knows only ``S256``: ``plain``, and a challenge without a method (which RFC 7636 reads
  as ``plain``), are refused with ``invalid_request``.
"""

from oauthlib.oauth2.rfc6749.grant_types.authorization_code import code_challenge_method_s256
from oauthlib.openid.connect.core.endpoints.pre_configured import Server

S256_ONLY = {"S256": code_challenge_method_s256}


class RingnityOAuthServer(Server):
    def __init__(self, request_validator, *args, **kwargs):
        super().__init__(request_validator, *args, **kwargs)
        self._response_types = {"code": self.auth_grant_choice}
        self._grant_types = {"authorization_code": self.token_grant_choice, "refresh_token": self.refresh_grant}
        # Instance attributes: oauthlib's class-level table stays as it is for everybody else.
        for grant in (self.auth_grant, self.openid_connect_auth.proxy_target):
            grant._code_challenge_methods = S256_ONLY
