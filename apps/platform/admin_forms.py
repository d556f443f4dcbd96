"""Model forms of the console's tenant pages that validate what the database or the other apps' rules need."""

from django import forms

from apps.platform.models import validate_jsonb


class TenantConsoleForm(forms.ModelForm):
    """``branding`` must be storable as jsonb (a NUL or 1e400 would otherwise be a database error)."""

    def clean_branding(self):
        branding = self.cleaned_data.get("branding")
        validate_jsonb(branding)
        return branding


class ServerApiKeyConsoleForm(forms.ModelForm):
    """``scopes``: a list of the contract's Server API scopes, as the developer API accepts them."""

    def clean_scopes(self):
        from apps.tenants.developer_services import SERVER_API_SCOPES

        scopes = self.cleaned_data.get("scopes")
        if not isinstance(scopes, list) or not all(isinstance(scope, str) for scope in scopes):
            raise forms.ValidationError('A list of scopes, e.g. ["server:tenant:read"].')
        unknown = [scope for scope in scopes if scope not in SERVER_API_SCOPES]
        if unknown:
            raise forms.ValidationError(
                f"Unknown scope(s): {', '.join(unknown)}; allowed: {', '.join(SERVER_API_SCOPES)}."
            )
        return list(dict.fromkeys(scopes))


class AllowedDomainConsoleForm(forms.ModelForm):
    """Entries in the developer API's normal form (``https://Shop.Example.com/`` → ``shop.example.com``)."""

    def clean_domain(self):
        from apps.tenants.domains import DomainError, normalize_domain

        try:
            return normalize_domain(self.cleaned_data.get("domain") or "")
        except DomainError as exc:
            raise forms.ValidationError(f"This entry {exc}.") from exc
