from django.contrib.auth.backends import ModelBackend

from apps.tenants.models import User
from ringnity.api.identifiers import login_email


class PlatformOperatorBackend(ModelBackend):
    """The platform console's login: platform operators by e-mail and password.

    Tenant staff never sign in to ``/admin/``; their sessions are API tokens.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if password is None:
            return None
        email = login_email(username or kwargs.get("email"))
        user = User.objects.filter(tenant__isnull=True, email__iexact=email).first() if email else None
        if user is None:
            User().set_password(password)  # same work for unknown e-mails: no timing oracle
            return None
        if user.check_password(password) and self.user_can_authenticate(user) and user.is_platform_operator:
            return user
        return None

    def get_user(self, user_id):
        user = User.objects.filter(pk=user_id, tenant__isnull=True).first()
        return user if user and self.user_can_authenticate(user) else None
