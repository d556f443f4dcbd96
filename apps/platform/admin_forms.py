"""Model forms of the console's tenant and user pages that validate what the database and the plan need."""

from django import forms

from apps.tenants import services as tenant_services
from apps.tenants.models import StaffRole
from ringnity.api.errors import ApiError
from ringnity.api.storable import validate_jsonb


class TenantConsoleForm(forms.ModelForm):
    """``branding`` must be storable as jsonb (a NUL or 1e400 would otherwise be a database error)."""

    def clean_branding(self):
        branding = self.cleaned_data.get("branding")
        validate_jsonb(branding)
        return branding


class UserConsoleForm(forms.ModelForm):
    """Re-activating a staff member takes a seat of the plan's ``agents`` quota.

    The check takes the tenant row lock inside the console's save transaction (``changeform_view`` is
    atomic), so the seat it found free is still free when the row is saved.
    """

    def clean(self):
        cleaned = super().clean()
        user = self.instance
        reactivated = "is_active" in self.changed_data and cleaned.get("is_active")
        if reactivated and user.tenant_id and user.role != StaffRole.OWNER:
            try:
                tenant_services.staff_seat_require(tenant=user.tenant)
            except ApiError as exc:
                self.add_error("is_active", exc.message)
        return cleaned
