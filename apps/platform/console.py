"""The console's building blocks: role rules, secret hiding, money formatting and the admin site.

Access by platform role, not by Django's per-model permission rows:

* every active platform operator with ``is_staff`` sees every page;
* ``platform_owner`` and ``platform_admin`` change things;
* ``platform_support`` changes nothing (no add/change/delete, no actions, no top-up form).

Every app registers its own pages in its ``admin.py`` with plain ``admin.ModelAdmin`` classes (apps
below the platform cannot import this module). ``ConsoleSite.register`` gives each registered admin
and its inlines these role rules as it is registered — whatever the app order — and hides the
credentials of models that hold some (``HiddenSecrets``). Pages narrow the rules with the attributes
``read_only_model``, ``allow_add`` and ``allow_delete`` or with Django's ``has_*_permission`` methods
(``RolePermissions``).
This module imports no pages.
"""

import re

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.db import models

from apps.billing.models import format_cents
from apps.platform.console_audit import AuditedConsoleWrites
from apps.platform.dashboard import operator_dashboard
from apps.tenants.models import console_operator, platform_writer
from ringnity.api.errors import ApiError
from ringnity.api.identifiers import login_email
from ringnity.api.throttling import LoginThrottle, client_ip


def _page_rule(model_admin, name: str):
    """The page's own ``has_*_permission`` method ``name``, bound, or None when the page has none.

    Looked up in the classes after ``RolePermissions`` in the page's MRO (the app's ``ModelAdmin`` and its
    mixins), skipping Django's defaults, which ask for per-model permission rows operators do not have.
    """
    mro = type(model_admin).__mro__
    for klass in mro[mro.index(RolePermissions) + 1 :]:
        if klass.__module__.startswith("django.") or klass is object:
            continue
        if name in vars(klass):
            return vars(klass)[name].__get__(model_admin)
    return None


class RolePermissions:
    """Mixin for ModelAdmin and inlines: view for operators, writes for owner/admin, never for read-only models.

    It stands first in the console class's bases. A page narrows it — never widens it — with attributes
    (``read_only_model``, ``allow_add``, ``allow_delete``), the hooks ``allows_add(request)`` and
    ``allows_delete(request, obj)``, or Django's own ``has_*_permission`` methods: each rule here is the
    role rule AND the page's method when it defines one. So what a page forbids is also hidden (no "Add"
    button, no "Add another" row, no save button), as Django does, instead of shown and answered with a 403.
    """

    def _writable(self, request) -> bool:
        return not getattr(self, "read_only_model", False) and platform_writer(request.user)

    def _page_allows(self, name: str, request, *args) -> bool:
        rule = _page_rule(self, name)
        return rule is None or bool(rule(request, *args))

    def has_module_permission(self, request):
        return console_operator(request.user) and self._page_allows("has_module_permission", request)

    def has_view_permission(self, request, obj=None):
        return console_operator(request.user) and self._page_allows("has_view_permission", request, obj)

    def has_add_permission(self, request, *args):
        allows = getattr(self, "allows_add", None)
        return (
            getattr(self, "allow_add", True)
            and self._writable(request)
            and (allows is None or allows(request))
            and self._page_allows("has_add_permission", request, *args)
        )

    def has_change_permission(self, request, obj=None):
        return self._writable(request) and self._page_allows("has_change_permission", request, obj)

    def has_delete_permission(self, request, obj=None):
        allows = getattr(self, "allows_delete", None)
        return (
            getattr(self, "allow_delete", True)
            and self._writable(request)
            and (allows is None or allows(request, obj))
            and self._page_allows("has_delete_permission", request, obj)
        )


class ConsoleAdmin(AuditedConsoleWrites, RolePermissions, admin.ModelAdmin):
    list_per_page = 50
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


console_login_throttle = LoginThrottle("console-login")


class ThrottledAdminAuthenticationForm(AdminAuthenticationForm):
    """The console's sign-in form, with the API's login throttle (per IP and per e-mail)."""

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        # Says who this door is for: a tenant owner trying it learns where to go instead.
        "invalid_login": (
            "Enter the e-mail and password of a platform operator. This console is for Ringnity operators; "
            "tenant owners and staff sign in to their workspace dashboard (API: POST /api/auth/owner-login)."
        ),
    }

    def clean(self):
        raw = self.data.get("username") or ""
        ip, email = client_ip(self.request), login_email(raw) or raw  # the operator lookup's form
        try:
            console_login_throttle.check(ip=ip, account=email)
        except ApiError as exc:
            wait = exc.headers.get("Retry-After", "a few")
            raise ValidationError(
                f"Too many failed sign-in attempts; retry in {wait} seconds.", code="throttled"
            ) from exc
        try:
            cleaned = super().clean()
        except ValidationError:
            console_login_throttle.record_failure(ip=ip, account=email)
            raise
        console_login_throttle.reset(account=email)
        return cleaned


def cents(value: int | None) -> str:
    if value is None:
        return "—"
    return format_cents(value)


#: Column names that hold a credential in third-party models (OAuth toolkit tokens and grant codes,
#: simplejwt's outstanding refresh JWTs, client secrets).
SECRET_FIELD_NAMES = frozenset({"token", "token_checksum", "code", "client_secret", "secret"})


class HiddenSecrets:
    """For a model that holds credentials: a list without them, no search on them, no object pages.

    Such models often print the credential as their ``str()`` (OAuth toolkit tokens and grants),
    which the admin shows in titles, breadcrumbs, delete pages and the action log, so their rows
    have no page at all; and the console never creates, edits or deletes them (no minting).
    """

    secret_fields: tuple[str, ...] = ()
    read_only_model = True

    def get_list_display(self, request):
        shown = [name for name in super().get_list_display(request) if name not in self.secret_fields]
        return [name for name in shown if name != "__str__"] or ["pk"]

    def get_list_display_links(self, request, list_display):
        return None

    def get_search_fields(self, request):
        # A substring search on a secret is an oracle that spells it out one character at a time.
        return [name for name in super().get_search_fields(request) if name.split("__")[0] not in self.secret_fields]

    def has_view_permission(self, request, obj=None):
        return obj is None and super().has_view_permission(request, obj)


def _is_secret(name: str) -> bool:
    return name in SECRET_FIELD_NAMES or name.endswith(("secret", "_token"))


def _digest_fields(model) -> tuple[str, ...]:
    """One rule for digests of secrets (``secret_digest``, ``token_digest``): never on a console page."""
    return tuple(field.name for field in model._meta.concrete_fields if field.name.endswith("_digest"))


def _secret_fields(model) -> tuple[str, ...]:
    """Credential columns by name (also ``signing_secret``, ``push_token``, ... of admins added later)."""
    return tuple(
        field.name for field in model._meta.concrete_fields if not field.is_relation and _is_secret(field.name)
    )


def console_admin_class(model, admin_class: type) -> type:
    """``admin_class`` with the console's role rules (and secret hiding when ``model`` holds credentials),
    and an audit row for every write (``AuditedConsoleWrites``)."""
    if issubclass(admin_class, RolePermissions):
        if issubclass(admin_class, AuditedConsoleWrites):
            return admin_class
        return type(f"Audited{admin_class.__name__}", (AuditedConsoleWrites, admin_class), {})
    excluded = tuple(admin_class.exclude or ())
    # A page that excludes every credential column itself may show its rows; otherwise no row pages.
    secrets = tuple(name for name in _secret_fields(model) if name not in excluded)
    bases = (HiddenSecrets, RolePermissions, admin_class) if secrets else (RolePermissions, admin_class)
    bases = (AuditedConsoleWrites, *bases)
    attrs = {
        "secret_fields": secrets,
        "list_per_page": 50,
        "formfield_overrides": {models.URLField: {"assume_scheme": "https"}, **admin_class.formfield_overrides},
    }
    digests = tuple(name for name in _digest_fields(model) if name not in excluded)
    if digests:
        attrs["exclude"] = excluded + digests
    inlines = getattr(admin_class, "inlines", ())
    if inlines:
        attrs["inlines"] = [console_inline_class(inline) for inline in inlines]
    return type(f"Console{admin_class.__name__}", bases, attrs)


def console_inline_class(inline: type) -> type:
    if issubclass(inline, RolePermissions):
        return inline
    return type(f"Console{inline.__name__}", (RolePermissions, inline), {})


#: Words a model's class name spells in CamelCase that readers expect in capitals.
ACRONYMS = {
    "api": "API",
    "ai": "AI",
    "sdk": "SDK",
    "oauth": "OAuth",
    "url": "URL",
    "jwt": "JWT",
    "ip": "IP",
    "id": "ID",
}
UNCOUNTABLE = frozenset({"pricing", "staff", "data", "settings", "usage", "information"})


def plural(noun: str) -> str:
    """English plural of a phrase's last word: family → families, address → addresses, key → keys."""
    head, _, last = noun.rpartition(" ")
    lower = last.lower()
    if lower in UNCOUNTABLE or lower.endswith("settings"):
        word = last
    elif re.search(r"[^aeiou]y$", lower):
        word = last[:-1] + "ies"
    elif re.search(r"(s|x|z|ch|sh)$", lower):
        word = last + "es"
    else:
        word = last + "s"
    return f"{head} {word}" if head else word


def humane_names(model) -> None:
    """Console names for a model that left Django's defaults ("Session familys", "Server api keys").

    Only the runtime ``_meta`` names change (what the console shows); a model's own ``Meta`` names
    win, and migrations read ``Meta`` only, so no app needs a migration for its console names.
    """
    meta = model._meta
    if "verbose_name" not in meta.original_attrs:
        name = model.__name__.replace("OAuth", "Oauth")
        words = re.findall(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+", name)
        spelled = [ACRONYMS.get(word.lower(), word.lower()) for word in words]
        meta.verbose_name = " ".join(spelled)
    if "verbose_name_plural" not in meta.original_attrs:
        meta.verbose_name_plural = plural(str(meta.verbose_name))


class ConsoleSite(admin.AdminSite):
    """The platform console: every page registered gets the role rules (``console_admin_class``)."""

    site_header = "Ringnity Platform Console"
    site_title = "Ringnity Platform Console"
    index_title = "Platform administration"
    login_form = ThrottledAdminAuthenticationForm

    def index(self, request, extra_context=None):
        """The index starts with the operator dashboard (tenants by plan, today's activity, AI spend)."""
        if console_operator(request.user):
            extra_context = {**(extra_context or {}), "dashboard": operator_dashboard()}
        return super().index(request, extra_context)

    def register(self, model_or_iterable, admin_class=None, **options):
        models_ = [model_or_iterable] if isinstance(model_or_iterable, models.base.ModelBase) else model_or_iterable
        for model in models_:
            humane_names(model)
            super().register(model, console_admin_class(model, admin_class or admin.ModelAdmin), **options)
