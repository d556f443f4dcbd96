"""Server API contacts: upsert rule, list/search/tags/pagination, get/patch/delete, scopes, tenancy."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.chat import events as chat_events
from apps.chat import services
from apps.chat.models import Contact, ContactTag
from apps.developer.tests.factories import ServerApiKeyFactory, server_key_headers
from apps.plans.tests.factories import subscribe
from apps.runtime.tests.fixtures import ready_tenant, server_headers
from ringnity.api.errors import ApiError

pytestmark = pytest.mark.django_db
URL = "/api/server/contacts"


@pytest.fixture
def tenant():
    return ready_tenant()


@pytest.fixture
def headers(tenant):
    return server_headers(tenant)


@pytest.fixture
def events(monkeypatch):
    """Records what the contact services hand to the webhooks event function."""
    emitted = []

    def record(*, tenant, event_type, payload):
        emitted.append((tenant.pk, event_type, payload["id"]))

    monkeypatch.setattr(chat_events, "event_emit", record)
    return emitted


def _upsert(client, headers, **body):
    return client.post(URL, {"name": "Ann", "phone": "+1 415 555 0100", **body}, format="json", **headers)


# --- upsert ----------------------------------------------------------------------------


def test_upsert_creates_then_updates_by_external_id(api_client, assert_contract, headers, tenant, events):
    first = assert_contract(_upsert(api_client, headers, externalId="crm-1", tags=["VIP"]), "upsertContact", 200)
    assert first["data"]["created"] is True
    contact = first["data"]["contact"]
    assert contact["externalId"] == "crm-1"
    assert contact["tags"] == ["VIP"]
    second = assert_contract(
        _upsert(api_client, headers, externalId="crm-1", name="Ann B", email="ann@example.com"), "upsertContact", 200
    )
    assert second["data"]["created"] is False
    assert second["data"]["contact"]["id"] == contact["id"]
    assert second["data"]["contact"]["name"] == "Ann B"
    assert Contact.objects.for_tenant(tenant).count() == 1
    assert [e[1] for e in events] == ["contact.created", "contact.updated"]


def _upserted(client, assert_contract, headers, **body) -> dict:
    """The ``data`` of a contract-valid 200 upsert."""
    return assert_contract(_upsert(client, headers, **body), "upsertContact", status=200)["data"]


def test_upsert_without_external_id_matches_by_normalized_email(api_client, assert_contract, headers, tenant):
    first = _upserted(api_client, assert_contract, headers, email="Ann@Example.COM")["contact"]
    second = _upserted(api_client, assert_contract, headers, email=" ann@example.com ", phone="+44 20 7946 0000")
    assert second["created"] is False
    assert second["contact"]["id"] == first["id"]


def test_upsert_without_email_matches_by_e164_phone(api_client, assert_contract, headers, tenant):
    first = _upserted(api_client, assert_contract, headers, phone="+1 (415) 555-0100")["contact"]
    second = _upserted(api_client, assert_contract, headers, phone="+14155550100", name="Ann 2")
    assert second["created"] is False
    assert second["contact"]["id"] == first["id"]
    assert Contact.objects.for_tenant(tenant).get().phone_normalized == "+14155550100"


def test_upsert_with_a_new_external_id_adopts_the_contact_keyed_by_email(api_client, assert_contract, headers, tenant):
    first = _upserted(api_client, assert_contract, headers, email="ann@example.com")["contact"]
    second = _upserted(api_client, assert_contract, headers, email="ann@example.com", externalId="crm-9")
    assert second["created"] is False
    assert second["contact"]["id"] == first["id"]
    assert second["contact"]["externalId"] == "crm-9"


def test_distinct_external_ids_with_one_email_are_two_contacts(api_client, assert_contract, headers, tenant):
    assert _upserted(api_client, assert_contract, headers, externalId="a", email="same@example.com")["created"]
    assert _upserted(api_client, assert_contract, headers, externalId="b", email="same@example.com")["created"]


def test_unchanged_upsert_emits_no_event(api_client, assert_contract, headers, events):
    assert_contract(_upsert(api_client, headers, externalId="crm-1"), "upsertContact", status=200)
    assert_contract(_upsert(api_client, headers, externalId="crm-1"), "upsertContact", status=200)
    assert [e[1] for e in events] == ["contact.created"]


def test_upsert_validation_lists_each_bad_field_and_writes_nothing(api_client, assert_contract, headers, events):
    body = {"phone": "call me", "email": "nope", "tags": ["x" * 51] + ["t"] * 50, "notes": "n" * 5001}
    response = api_client.post(URL, body, format="json", **headers)
    assert_contract(response, "upsertContact", status=400)
    payload = response.json()
    assert payload["code"] == "SERVER_CONTACT_VALIDATION_FAILED"
    assert {d.split(":")[0].split("[")[0] for d in payload["details"]} == {"name", "phone", "email", "tags", "notes"}
    assert not Contact.objects.exists()
    assert events == []


def test_too_many_tags_is_400(api_client, assert_contract, headers):
    response = _upsert(api_client, headers, tags=[f"t{i}" for i in range(51)])
    assert_contract(response, "upsertContact", status=400)
    assert response.json()["details"][0].startswith("tags:")


def test_contacts_quota_is_enforced_on_create_only(api_client, assert_contract, tenant, headers):
    subscribe(tenant, features={"server_api": True}, quotas={"contacts": 1})
    _upsert(api_client, headers, externalId="a")
    assert _upsert(api_client, headers, externalId="a", name="Still fine").status_code == 200
    response = _upsert(api_client, headers, externalId="b")
    assert_contract(response, "upsertContact", status=400)
    assert response.json()["code"] == "QUOTA_EXCEEDED"


# --- list ------------------------------------------------------------------------------


def _make(tenant, n, **fields):
    return [
        services.contact_upsert(tenant=tenant, fields={"name": f"Person {i}", "phone": f"+1415555{i:04d}", **fields})[0]
        for i in range(n)
    ]


def test_list_pages_newest_first_with_total_and_has_more(api_client, assert_contract, tenant, headers):
    made = _make(tenant, 5)
    body = assert_contract(api_client.get(URL, {"limit": 2, "page": 2}, **headers), "listContacts", status=200)
    data = body["data"]
    assert data["pagination"] == {"total": 5, "page": 2, "limit": 2, "hasMore": True}
    assert [c["id"] for c in data["contacts"]] == [made[2].public_id, made[1].public_id]


def test_list_limit_above_100_is_a_400_naming_the_maximum(api_client, assert_contract, headers):
    body = assert_contract(api_client.get(URL, {"limit": 500}, **headers), "listContacts", status=400)
    assert body["details"] == ["limit: must be at most 100."]
    body = assert_contract(api_client.get(URL, {"limit": 100}, **headers), "listContacts", status=200)
    assert body["data"]["pagination"]["limit"] == 100


def test_list_bad_paging_is_400(api_client, assert_contract, headers):
    response = api_client.get(URL, {"limit": 0, "page": "x"}, **headers)
    assert_contract(response, "listContacts", status=400)
    assert len(response.json()["details"]) == 2


def test_list_search_is_case_insensitive_across_name_email_phone_company(api_client, assert_contract, tenant, headers):
    services.contact_upsert(tenant=tenant, fields={"name": "Zoe Quill", "phone": "+14155551111"})
    services.contact_upsert(tenant=tenant, fields={"name": "B", "phone": "+14155552222", "email": "zq@mail.example"})
    services.contact_upsert(tenant=tenant, fields={"name": "C", "phone": "+14155553333", "company": "ACME Corp"})
    services.contact_upsert(tenant=tenant, fields={"name": "D", "phone": "+14155554444"})

    def names(search):
        response = api_client.get(URL, {"search": search}, **headers)
        contacts = assert_contract(response, "listContacts", status=200)["data"]["contacts"]
        return sorted(c["name"] for c in contacts)

    assert names("zoe") == ["Zoe Quill"]
    assert names("ZQ@") == ["B"]
    assert names("acme") == ["C"]
    assert names("5554444") == ["D"]


def test_list_tags_filter_is_any_of_and_case_insensitive(api_client, assert_contract, tenant, headers):
    services.contact_upsert(tenant=tenant, fields={"name": "A", "phone": "+14155551111", "tags": ["VIP", "eu"]})
    services.contact_upsert(tenant=tenant, fields={"name": "B", "phone": "+14155552222", "tags": ["lead"]})
    services.contact_upsert(tenant=tenant, fields={"name": "C", "phone": "+14155553333", "tags": []})

    def names(tags):
        response = api_client.get(URL, {"tags": tags}, **headers)
        contacts = assert_contract(response, "listContacts", status=200)["data"]["contacts"]
        return sorted(c["name"] for c in contacts)

    assert names("vip") == ["A"]
    assert names("lead, VIP") == ["A", "B"]
    assert names("none") == []


def test_list_query_count_does_not_grow_with_rows(api_client, assert_contract, tenant, headers):
    def count(**params):
        with CaptureQueriesContext(connection) as ctx:
            response = api_client.get(URL, params, **headers)
        assert_contract(response, "listContacts", status=200)
        return len(ctx)

    _make(tenant, 2, tags=["a"])
    api_client.get(URL, **headers)  # warm the key's last-used gate and the entitlement cache
    few, few_tagged = count(), count(tags="a", search="Person")
    _make(tenant, 40, tags=["a", "b"])
    assert count() == few
    assert count(tags="a", search="Person") == few_tagged


# --- get / patch / delete --------------------------------------------------------------


def test_get_patch_delete_one_contact(api_client, assert_contract, tenant, headers, events):
    contact = _upsert(api_client, headers, externalId="crm-1", tags=["a"]).json()["data"]["contact"]
    one = f"{URL}/{contact['id']}"
    assert_contract(api_client.get(one, **headers), "getContact", status=200)
    patched = api_client.patch(one, {"company": "Acme", "tags": ["b", "B", " c "]}, format="json", **headers)
    data = assert_contract(patched, "updateContact", status=200)["data"]["contact"]
    assert data["company"] == "Acme"
    assert data["tags"] == ["b", "c"]
    assert data["name"] == "Ann"
    assert set(ContactTag.objects.for_tenant(tenant).values_list("tag", flat=True)) == {"b", "c"}
    deleted = assert_contract(api_client.delete(one, **headers), "deleteContact", status=200)
    assert deleted["data"] == {"deleted": True, "id": contact["id"]}
    assert_contract(api_client.get(one, **headers), "getContact", status=404)
    assert [e[1] for e in events] == ["contact.created", "contact.updated", "contact.deleted"]


def test_patch_validation_and_identity_collisions_are_400(api_client, assert_contract, headers):
    _upsert(api_client, headers, externalId="taken")
    contact = _upsert(api_client, headers, externalId="mine", phone="+14155559999").json()["data"]["contact"]
    one = f"{URL}/{contact['id']}"
    response = api_client.patch(one, {"name": "", "email": "bad"}, format="json", **headers)
    assert_contract(response, "updateContact", status=400)
    assert {d.split(":")[0] for d in response.json()["details"]} == {"name", "email"}
    response = api_client.patch(one, {"externalId": "taken"}, format="json", **headers)
    assert_contract(response, "updateContact", status=400)
    assert response.json()["details"][0].startswith("externalId:")
    assert api_client.get(one, **headers).json()["data"]["contact"]["externalId"] == "mine"


# --- scopes and tenancy ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "suffix", "operation", "scope"),
    [
        ("get", "", "listContacts", "server:contacts:read"),
        ("post", "", "upsertContact", "server:contacts:write"),
        ("get", "/con_x", "getContact", "server:contacts:read"),
        ("patch", "/con_x", "updateContact", "server:contacts:write"),
        ("delete", "/con_x", "deleteContact", "server:contacts:write"),
    ],
)
def test_missing_scope_is_403(api_client, assert_contract, tenant, method, suffix, operation, scope):
    key = ServerApiKeyFactory(tenant=tenant, scopes=["server:health"])
    response = getattr(api_client, method)(URL + suffix, {}, format="json", **server_key_headers(key))
    assert_contract(response, operation, status=403)
    assert response.json()["code"] == "SERVER_API_SCOPE_DENIED"


def test_without_a_key_is_401(api_client, assert_contract):
    response = api_client.get(URL)
    assert_contract(response, "listContacts", status=401)
    assert response.json()["code"] == "SERVER_API_KEY_INVALID"


def test_tenant_b_never_reads_or_writes_tenant_a_contacts(api_client, assert_contract, tenant, headers):
    contact = _upsert(api_client, headers, externalId="crm-1", email="a@example.com").json()["data"]["contact"]
    other = server_headers(ready_tenant())
    one = f"{URL}/{contact['id']}"
    assert_contract(api_client.get(one, **other), "getContact", status=404)
    assert_contract(api_client.patch(one, {"name": "Hacked"}, format="json", **other), "updateContact", status=404)
    assert_contract(api_client.delete(one, **other), "deleteContact", status=404)
    listed = assert_contract(api_client.get(URL, {"search": "a@example"}, **other), "listContacts", status=200)
    assert listed["data"]["contacts"] == []
    # The same identity upserted by B makes B's own contact; A's is untouched.
    created = _upsert(api_client, other, externalId="crm-1", email="a@example.com", name="B's").json()["data"]
    assert created["created"] is True
    assert created["contact"]["id"] != contact["id"]
    assert api_client.get(one, **headers).json()["data"]["contact"]["name"] == "Ann"


def test_values_that_grow_when_lowercased_are_stored_not_a_500(api_client, assert_contract, tenant, headers):
    """'İ'.lower() is two characters: a valid 50-character tag or 254-character email grows past its length."""
    tag, email = "İ" * 50, "a@" + ("İ" * 60 + ".") * 4 + "com"
    response = _upsert(api_client, headers, tags=[tag], email=email)
    contact = assert_contract(response, "upsertContact", status=200)["data"]["contact"]
    assert contact["tags"] == [tag]
    listed = assert_contract(api_client.get(URL, {"tags": tag}, **headers), "listContacts", status=200)
    assert [c["id"] for c in listed["data"]["contacts"]] == [contact["id"]]
    again = assert_contract(_upsert(api_client, headers, email="A" + email[1:]), "upsertContact", status=200)
    assert again["data"]["created"] is False


def test_list_bad_query_values_are_400_listing_each_never_a_500(api_client, assert_contract, headers):
    params = {"search": "a\x00", "tags": "vip,\x00", "page": "9223372036854775807", "limit": "abc"}
    response = api_client.get(URL, params, **headers)
    assert_contract(response, "listContacts", status=400)
    payload = response.json()
    assert payload["code"] == "SERVER_CONTACT_VALIDATION_FAILED"
    assert {d.split(":")[0] for d in payload["details"]} == {"search", "tags", "page", "limit"}
    response = api_client.get(URL, {"page": "99999999999999999999"}, **headers)
    assert_contract(response, "listContacts", status=400)
    assert response.json()["details"][0].startswith("page:")
    far = assert_contract(api_client.get(URL, {"page": 1_000_000}, **headers), "listContacts", status=200)
    assert far["data"]["contacts"] == []


@pytest.mark.parametrize("contact_id", ["con_%00", "a%00b"])
def test_an_impossible_contact_id_is_404_never_a_500(api_client, assert_contract, headers, contact_id):
    one = f"{URL}/{contact_id}"
    assert_contract(api_client.get(one, **headers), "getContact", status=404)
    assert_contract(api_client.patch(one, {"name": "x"}, format="json", **headers), "updateContact", status=404)
    assert_contract(api_client.delete(one, **headers), "deleteContact", status=404)


def test_a_contact_deleted_meanwhile_is_404_for_update_and_delete_and_emits_nothing(tenant, events):
    """A PATCH or DELETE racing a DELETE: the loser read the contact before it went away."""
    contact = services.contact_upsert(tenant=tenant, fields={"name": "Ann", "phone": "+14155550100"})[0]
    stale = Contact.objects.for_tenant(tenant).get(pk=contact.pk)
    services.contact_delete(contact=contact)
    for call in (
        lambda: services.contact_update(contact=stale, fields={"name": "Bo"}),
        lambda: services.contact_delete(contact=stale),
    ):
        with pytest.raises(ApiError) as raised:
            call()
        assert raised.value.status == 404
    assert [e[1] for e in events] == ["contact.created", "contact.deleted"]
