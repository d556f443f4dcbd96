"""Console forms for developer settings that ask this app's services, so the console and the API agree.

Each form's ``clean`` asks the service for its answer (normalisation, scopes, the key environment
rule, quotas) and shows the same refusal the API sends; the page then saves through the service.
"""

from django import forms
from django.forms.models import BaseInlineFormSet

from apps.developer import services
from ringnity.api.errors import ApiError

#: API field names in ``details`` → model form fields.
API_FIELDS = {"isActive": "is_active", "allowedDomains": "domain"}


def form_error(exc: ApiError) -> forms.ValidationError:
    return forms.ValidationError(" ".join([exc.message, *exc.details]))


def add_api_error(form: forms.Form, exc: ApiError) -> None:
    """Shows the service's refusal on the form: each ``field: message`` detail on its field, the rest on top."""
    placed = False
    for detail in exc.details:
        name, _, message = detail.partition(": ")
        field = API_FIELDS.get(name.split("[")[0], name.split("[")[0])
        if message and field in form.fields:
            form.add_error(field, message)
            placed = True
    if not placed:
        form.add_error(None, form_error(exc))


class ServerApiKeyConsoleForm(forms.ModelForm):
    """Name, scopes and active flag go through ``server_api_key_update``; the environment is fixed by the secret."""

    def clean(self):
        cleaned = super().clean()
        key = self.instance
        if key.pk is None or self.errors:
            return cleaned
        changes = {name: cleaned[name] for name in ("name", "scopes") if name in cleaned}
        if "is_active" in cleaned:
            changes["is_active"] = cleaned["is_active"]
        try:
            services.server_api_key_changes_check(tenant=key.tenant, public_id=key.public_id, changes=changes)
        except ApiError as exc:
            add_api_error(self, exc)
        return cleaned


class AllowedDomainConsoleForm(forms.ModelForm):
    """Entries in the developer API's normal form (``https://Shop.Example.com/`` → ``shop.example.com``)."""

    def clean_domain(self):
        try:
            return services.allowed_domain_normalize(self.cleaned_data.get("domain") or "")
        except ApiError as exc:
            raise form_error(exc) from exc

    def clean(self):
        cleaned = super().clean()
        tenant = cleaned.get("tenant") or getattr(self.instance, "tenant", None)
        if self.instance.pk is None and tenant is not None and not self.errors:
            try:
                services.allowed_domains_check_room(tenant=tenant, adding=1)
            except ApiError as exc:
                self.add_error(None, form_error(exc))
        return cleaned


class AllowedDomainFormSet(BaseInlineFormSet):
    """New rows of one save count together against the ``allowed_domains`` quota; rows save through the service."""

    def clean(self):
        super().clean()
        adding = sum(
            1
            for form in self.forms
            if form.instance.pk is None and form.has_changed() and not self._should_delete_form(form)
        )
        if adding and self.instance.pk is not None:
            try:
                services.allowed_domains_check_room(tenant=self.instance, adding=adding)
            except ApiError as exc:
                raise form_error(exc) from exc

    def save_new(self, form, commit=True):
        return services.allowed_domain_save(tenant=self.instance, value=form.cleaned_data["domain"])

    def save_existing(self, form, obj, commit=True):
        return services.allowed_domain_save(tenant=self.instance, value=form.cleaned_data["domain"], instance=obj)
