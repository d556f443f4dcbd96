"""Every tenant-owned table is indexed by ``tenant`` first.

Each tenant route filters by ``tenant_id`` before anything else, so every model with a ``tenant``
foreign key needs an index or unique constraint whose first column is ``tenant``: a composite one
covering its main lookups, or a unique ``tenant`` column when there is one row per tenant
(``OneToOneField``). The plain single-column index Django adds to every foreign key does not count:
it is implicit and vanishes with ``db_index=False``. This test walks every installed model, so a new
tenant-owned model cannot forget its index.
"""

import pytest
from django.apps import apps
from django.db import models
from django.db.models.expressions import F

from apps.tenants.tenancy import TenantOwnedModel


def _first_column(index_or_constraint) -> str | None:
    fields = list(getattr(index_or_constraint, "fields", ()) or ())
    if fields:
        return fields[0].lstrip("-")
    expressions = list(getattr(index_or_constraint, "expressions", ()) or ())
    if expressions:
        first = expressions[0]
        while not isinstance(first, F) and first.get_source_expressions():
            first = first.get_source_expressions()[0]
        return getattr(first, "name", None)
    return None


def _tenant_first(model) -> list[str]:
    """Names of the declared indexes/constraints of ``model`` whose first column is ``tenant``."""
    tenant = model._meta.get_field("tenant")
    found = [f"{tenant.name} (unique column)"] if tenant.unique else []
    declared = [*model._meta.indexes, *model._meta.constraints]
    for item in declared:
        if isinstance(item, (models.Index, models.UniqueConstraint)) and _first_column(item) in {"tenant", "tenant_id"}:
            found.append(item.name)
    found += [",".join(group) for group in model._meta.unique_together if group and group[0] == "tenant"]
    return found


def _tenant_models():
    for model in apps.get_models():
        field = next((f for f in model._meta.get_fields() if f.name == "tenant"), None)
        if field is not None and (field.many_to_one or field.one_to_one):
            yield model


TENANT_MODELS = sorted(_tenant_models(), key=lambda m: m._meta.label)


def test_every_tenant_owned_model_is_found():
    """The walk sees every ``TenantOwnedModel`` subclass, so none escapes the index check."""
    owned = {m._meta.label for m in apps.get_models() if issubclass(m, TenantOwnedModel)}
    assert owned
    assert owned <= {m._meta.label for m in TENANT_MODELS}


@pytest.mark.parametrize("model", TENANT_MODELS, ids=lambda m: m._meta.label)
def test_model_with_a_tenant_fk_has_an_index_starting_with_tenant(model):
    assert _tenant_first(model), (
        f"{model._meta.label} has a tenant foreign key but no index or unique constraint whose first column is "
        "tenant; add one covering its main lookups, e.g. models.Index(fields=['tenant', ...])"
    )
