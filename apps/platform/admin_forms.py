"""Model forms of the console's tenant page that validate what the database needs."""

from django import forms

from ringnity.api.storable import validate_jsonb


class TenantConsoleForm(forms.ModelForm):
    """``branding`` must be storable as jsonb (a NUL or 1e400 would otherwise be a database error)."""

    def clean_branding(self):
        branding = self.cleaned_data.get("branding")
        validate_jsonb(branding)
        return branding
