"""``InputSerializer`` refuses JSON values of another type than the field's (issue 9, finding 2)."""

import pytest
from rest_framework import serializers

from ringnity.api.exceptions import flatten_errors
from ringnity.api.serializers import InputSerializer, QuerySerializer


class Visitor(serializers.Serializer):  # a plain nested serializer is checked by its InputSerializer parent
    externalId = serializers.CharField()
    vip = serializers.BooleanField(required=False)


class Line(InputSerializer):
    sku = serializers.CharField()
    qty = serializers.IntegerField()


class Strict(InputSerializer):
    name = serializers.CharField(required=False)
    email = serializers.EmailField(required=False)
    count = serializers.IntegerField(required=False)
    ratio = serializers.FloatField(required=False)
    price = serializers.DecimalField(max_digits=8, decimal_places=2, required=False, coerce_to_string=False)
    active = serializers.BooleanField(required=False)
    kind = serializers.ChoiceField(choices=["a", "b"], required=False)
    level = serializers.ChoiceField(choices=[1, 2], required=False)
    when = serializers.DateTimeField(required=False)
    id = serializers.UUIDField(required=False)
    tags = serializers.ListField(child=serializers.CharField(), required=False)
    meta = serializers.DictField(child=serializers.IntegerField(), required=False)
    anything = serializers.JSONField(required=False)
    visitor = Visitor(required=False)
    lines = Line(many=True, required=False)
    note = serializers.CharField(required=False, allow_null=True)


def errors_of(data, serializer=Strict) -> list[str]:
    instance = serializer(data=data)
    assert not instance.is_valid()
    return sorted(flatten_errors(instance.errors))


@pytest.mark.parametrize("value", [1, 1.5, True, ["x"], {"x": 1}])
def test_a_string_field_refuses_every_other_json_type(value):
    assert len(errors_of({"name": value})) == 1
    assert errors_of({"name": value})[0].startswith("name: Must be a string, not ")


def test_the_inf_of_the_probe_is_refused_not_stored_as_the_string_inf():
    # json.loads("1e400") is float("inf"); DRF's CharField would have made it "inf".
    assert errors_of({"name": float("inf")}) == ["name: Must be a string, not a number."]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("count", "12", "count: Must be an integer, not a string."),
        ("count", True, "count: Must be an integer, not a boolean."),
        ("ratio", "1.5", "ratio: Must be a number, not a string."),
        ("ratio", False, "ratio: Must be a number, not a boolean."),
        ("price", "1.50", "price: Must be a number, not a string."),
        ("active", "true", "active: Must be a boolean, not a string."),
        ("active", 1, "active: Must be a boolean, not a number."),
        ("kind", 1, "kind: Must be a string, not a number."),
        ("level", "1", "level: Must be an integer, not a string."),
        ("when", 1700000000, "when: Must be a string, not a number."),
        ("id", 5, "id: Must be a string, not a number."),
        ("email", ["a@b.test"], "email: Must be a string, not an array."),
        ("tags", "a,b", "tags: Must be an array, not a string."),
        ("meta", [1], "meta: Must be an object, not an array."),
        ("visitor", "v1", "visitor: Must be an object, not a string."),
        ("lines", {"sku": "a"}, "lines: Must be an array, not an object."),
    ],
)
def test_numbers_booleans_and_containers_are_not_coerced(field, value, message):
    assert errors_of({field: value}) == [message]


def test_nested_values_are_checked_through_serializers_lists_and_dicts():
    data = {
        "tags": ["ok", 2, None],
        "meta": {"a": 1, "b": "2"},
        "visitor": {"externalId": 1e400, "vip": "yes"},
        "lines": [{"sku": "a", "qty": 1}, {"sku": 7, "qty": "3"}],
    }
    assert errors_of(data) == [
        "lines[1].qty: Must be an integer, not a string.",
        "lines[1].sku: Must be a string, not a number.",
        "meta.b: Must be an integer, not a string.",
        "tags[1]: Must be a string, not a number.",
        "tags[2]: This field may not be null.",
        "visitor.externalId: Must be a string, not a number.",
        "visitor.vip: Must be a boolean, not a string.",
    ]


def test_type_errors_are_listed_together_with_the_other_errors():
    assert errors_of({"name": 5, "count": -1.5, "email": "not-an-email"}) == [
        "count: A valid integer is required.",
        "email: Enter a valid email address.",
        "name: Must be a string, not a number.",
    ]


def test_correct_types_and_null_where_allowed_pass():
    data = {
        "name": "n",
        "count": 3,
        "ratio": 2,
        "price": 1.5,
        "active": False,
        "kind": "a",
        "level": 2,
        "tags": [],
        "meta": {"a": 1},
        "anything": [1, "x", None, {"y": True}],
        "visitor": {"externalId": "v"},
        "lines": [{"sku": "s", "qty": 1}],
        "note": None,
    }
    instance = Strict(data=data)
    assert instance.is_valid(), instance.errors
    assert instance.validated_data["count"] == 3


def test_a_body_that_is_not_an_object_keeps_drf_message():
    assert errors_of(["name"]) == ["Invalid data. Expected a dictionary, but got list."]


def test_query_serializers_parse_strings_as_query_strings_must():
    class Query(QuerySerializer):
        limit = serializers.IntegerField()
        archived = serializers.BooleanField()

    instance = Query(data={"limit": "12", "archived": "true"})
    assert instance.is_valid(), instance.errors
    assert instance.validated_data == {"limit": 12, "archived": True}


def test_drf_errors_of_other_items_of_a_nested_list_are_kept():
    data = {"lines": [{"sku": 1, "qty": 1}, {"sku": "b"}, {"sku": "c", "qty": 2}]}
    assert errors_of(data) == ["lines[0].sku: Must be a string, not a number.", "lines[1].qty: This field is required."]


def test_an_empty_query_value_is_validated_as_sent_not_read_as_absent():
    from django.http import QueryDict

    class Query(QuerySerializer):
        period = serializers.ChoiceField(choices=["today", "7days"], required=False, default="today")
        limit = serializers.IntegerField(required=False, default=50)
        search = serializers.CharField(required=False, allow_blank=True, default="")
        ids = serializers.ListField(child=serializers.CharField(), required=False)

    bad = Query(data=QueryDict("period=&limit="))
    assert not bad.is_valid()
    assert sorted(flatten_errors(bad.errors)) == [
        "limit: A valid integer is required.",
        'period: "" is not a valid choice.',
    ]
    good = Query(data=QueryDict("search=&ids=a&ids=b"))
    assert good.is_valid(), good.errors
    assert good.validated_data == {"period": "today", "limit": 50, "search": "", "ids": ["a", "b"]}
