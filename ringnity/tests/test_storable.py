import pytest

from ringnity.api.storable import json_storage_problem, storable_text


def test_text_with_nul_or_a_lone_surrogate_is_not_storable():
    assert storable_text("plain ✓")
    assert not storable_text("a\x00b")
    assert not storable_text("\ud800")


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ({"a": [1, "ok", None]}, None),
        ({"a": float("inf")}, "numbers must be finite."),
        ({"k\x00": 1}, "must not contain NUL or unpaired surrogate characters."),
        ([[[["deep"]]]], "nest at most 3 levels deep."),
    ],
)
def test_json_storage_problem_names_the_first_problem(value, problem):
    assert json_storage_problem(value, max_depth=3) == problem
