"""Console form widgets that know no app (usable by every app's ``admin.py``)."""

import json

from django import forms
from django.utils.html import format_html


class CollapsedJSONWidget(forms.Textarea):
    """A JSON value shown as one short line, edited on demand.

    Plan rows carry a ``config`` object that is usually ``{}``; a tall textarea per row made a plan
    page ~5,000 px tall and wider than the window. Collapsed, the row is one line; the textarea
    opens in place (``<details>``), so nothing needs JavaScript.
    """

    SUMMARY_LENGTH = 24

    def __init__(self, attrs=None):
        super().__init__(attrs={"rows": 4, "cols": 40, **(attrs or {})})

    def summary(self, value) -> str:
        try:
            parsed = json.loads(value) if isinstance(value, str) and value else value
        except ValueError:
            parsed = value
        if parsed in (None, {}, [], ""):
            return "{}"
        compact = json.dumps(parsed, separators=(",", ":"), ensure_ascii=False)
        return compact if len(compact) <= self.SUMMARY_LENGTH else compact[: self.SUMMARY_LENGTH - 1] + "…"

    def render(self, name, value, attrs=None, renderer=None):
        textarea = super().render(name, value, attrs, renderer)
        shown = self.format_value(value)
        return format_html(
            '<details class="collapsed-json"><summary title="Edit">{}</summary>{}</details>',
            self.summary(shown),
            textarea,
        )
