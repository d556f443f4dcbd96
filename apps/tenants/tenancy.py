"""Row-level tenancy: the tenant filter is automatic, a cross-tenant read is explicit.

Every tenant-owned model inherits ``TenantOwnedModel``; its manager offers

* ``Model.objects.for_tenant(tenant)``: the normal way to read; refuses ``None``;
* ``Model.objects.cross_tenant()``: a named, greppable escape hatch for the
  platform console and platform API, which legitimately span tenants.

Selectors and services take ``tenant=`` as a required keyword and go through
``for_tenant``; tests for every tenant route prove another tenant's row is 404.
"""

from django.db import models


class TenantScopeMissing(LookupError):
    """A tenant-owned query was asked for without a tenant."""


class TenantQuerySet(models.QuerySet):
    def for_tenant(self, tenant) -> "TenantQuerySet":
        if tenant is None or getattr(tenant, "pk", None) is None:
            raise TenantScopeMissing(f"{self.model.__name__} queried without a tenant")
        return self.filter(tenant_id=tenant.pk)

    def cross_tenant(self) -> "TenantQuerySet":
        """All tenants' rows. Only for platform-operator code paths."""
        return self.all()


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):
    pass


class TenantOwnedModel(models.Model):
    """Abstract base: a non-null tenant and a manager that scopes by it.

    Subclasses declare their own composite indexes starting with ``tenant``.
    """

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")

    objects = TenantManager()

    class Meta:
        abstract = True
