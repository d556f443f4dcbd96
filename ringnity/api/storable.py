"""What PostgreSQL can store, checked before it is asked to.

Text columns refuse NUL; a lone surrogate (``"\\ud800"`` is valid JSON) is not UTF-8; ``jsonb``
also refuses non-finite numbers (``1e400`` parses to infinity). Nesting is bounded and walked
iteratively, so no input reaches a recursion limit.
"""

import math

from django.core.exceptions import ValidationError


def storable_text(text: str) -> bool:
    return "\x00" not in text and not any("\ud800" <= char <= "\udfff" for char in text)


def json_storage_problem(value, *, max_depth: int) -> str | None:
    """A message naming why ``value`` cannot be stored as ``jsonb``, or None when it can."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > max_depth:
            return f"nest at most {max_depth} levels deep."
        if isinstance(item, dict):
            stack.extend((key, depth) for key in item)
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, float) and not math.isfinite(item):
            return "numbers must be finite."
        elif isinstance(item, str) and not storable_text(item):
            return "must not contain NUL or unpaired surrogate characters."
    return None


def validate_jsonb(value, *, max_depth: int = 32) -> None:
    """A model/form validator: raises ``ValidationError`` unless ``value`` can be stored as ``jsonb``."""
    problem = json_storage_problem(value, max_depth=max_depth)
    if problem:
        raise ValidationError(problem)
