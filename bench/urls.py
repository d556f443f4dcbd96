"""Production URLs plus ``/bench/contacts-values``: the same 50 contacts via ``.values()``, no DRF.

Only the benchmark's settings (``bench.settings``) use this URLconf.
"""

import os

from django.http import JsonResponse
from django.urls import path

from apps.chat.models import Contact
from ringnity.urls import urlpatterns as production_urlpatterns

FIELDS = ("public_id", "external_id", "name", "phone", "email", "company", "tags", "notes", "source")


def contacts_values(request):
    """The floor: one query, ``.values()``, JsonResponse. Same rows and order as ``listContacts``."""
    tenant_id = int(os.environ["BENCH_TENANT_ID"])
    rows = list(
        Contact.objects.filter(tenant_id=tenant_id)
        .order_by("-created_at", "-id")
        .values(*FIELDS, "created_at", "updated_at")[:50]
    )
    return JsonResponse({"contacts": rows})


urlpatterns = [path("bench/contacts-values", contacts_values), *production_urlpatterns]
