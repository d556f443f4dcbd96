"""Django hides what a user may not do; so does the console: no visible action leads to a 403.

For every console page and every operator role, each thing the page offers is followed as a person
would: the "Add" button, every action in the list's menu, the row page and its "Save", "Delete" and
"History", and the "Add another" row of each inline (which must have something to fill in). Rows read
as what they are, never "Message object (1)". ``console_world`` puts a row behind every page.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.db import transaction
from django.urls import reverse

from apps.platform.console import HiddenSecrets
from apps.platform.tests.console_world import console_world
from apps.tenants.models import PlatformRole
from apps.tenants.tests.factories import PlatformOperatorFactory

pytestmark = pytest.mark.django_db
ROLES = (PlatformRole.OWNER, PlatformRole.ADMIN, PlatformRole.SUPPORT)
PAGES = sorted(admin.site._registry, key=lambda model: model._meta.label)
DEFAULT_STR = re.compile(r"\b\w+ object \(\d+\)")


class FormFields(HTMLParser):
    """What a browser would submit from the page's main form, as it was rendered."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id, self.inside, self.fields = form_id, False, []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside or "__prefix__" in (a.get("name") or ""):
            return
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file", "checkbox", "radio"):
            self.fields.append((name, a.get("value") or ""))
        elif tag == "input" and name and a.get("type") in ("checkbox", "radio") and "checked" in a:
            self.fields.append((name, a.get("value") or "on"))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.fields.append((self._select, a.get("value") or ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields.append((name, ""))

    def handle_data(self, data):
        if self._textarea:
            name, value = self.fields[-1]
            self.fields[-1] = (name, value + data)

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _submitted(html: str, form_id: str) -> dict:
    parser = FormFields(form_id)
    parser.feed(html)
    data: dict[str, list[str]] = {}
    for name, value in parser.fields:
        data.setdefault(name, []).append(value.removeprefix("\n"))
    return data


def _empty_inline_rows_without_input(html: str) -> list[str]:
    """Prefixes of inlines that offer "Add another" (an ``empty-form`` row) with nothing to fill in."""
    bad = []
    for prefix in re.findall(r'id="([\w-]+)-empty"', html):
        editable = re.search(rf'name="{re.escape(prefix)}-__prefix__-(?!id"|DELETE")[\w]+"(?![^>]*type="hidden")', html)
        if not editable:
            bad.append(prefix)
    return bad


def _follow_every_visible_action(client, model) -> list[str]:
    """Each visible action of ``model``'s pages that answers 403 (or shows a default ``str()``)."""
    opts = model._meta
    model_admin = admin.site._registry[model]
    problems = []
    changelist_url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    changelist = client.get(changelist_url)
    assert changelist.status_code == 200, changelist_url
    html = changelist.content.decode()
    if DEFAULT_STR.search(html):
        problems.append(f"{changelist_url} shows {DEFAULT_STR.search(html).group()}")
    add_url = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
    if f'href="{add_url}"' in html and client.get(add_url).status_code == 403:
        problems.append(f"'Add' button of {changelist_url} → 403")
    row = model_admin.get_queryset(changelist.wsgi_request).order_by("pk").first()
    assert row is not None, f"console_world has no {opts.label} row"
    if not isinstance(model_admin, HiddenSecrets):  # their rows have no links, so no row page is visible
        problems += _follow_the_row_page(client, model, row)
    actions = re.search(r'<select name="action"[^>]*>(.*?)</select>', html, re.S)
    for action in re.findall(r'<option value="(\w+)"', actions.group(1) if actions else ""):
        answer = client.post(changelist_url, {"action": action, "_selected_action": [row.pk], "index": 0})
        if answer.status_code == 403:
            problems.append(f"action {action!r} of {changelist_url} → 403")
    return problems


def _follow_the_row_page(client, model, row) -> list[str]:
    opts = model._meta
    problems = []
    change_url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[row.pk])
    page = client.get(change_url)
    assert page.status_code == 200, change_url
    html = page.content.decode()
    if DEFAULT_STR.search(html):
        problems.append(f"{change_url} shows {DEFAULT_STR.search(html).group()}")
    problems += [
        f"'Add another' of {prefix} on {change_url} has nothing to fill in"
        for prefix in _empty_inline_rows_without_input(html)
    ]
    for link in re.findall(r'<a href="([^"]+)" class="(?:deletelink|historylink)"', html):
        if client.get(link).status_code == 403:
            problems.append(f"{link} (linked from {change_url}) → 403")
    if 'name="_save"' in html:
        answer = client.post(change_url, {**_submitted(html, f"{opts.model_name}_form"), "_save": "Save"})
        if answer.status_code == 403:
            problems.append(f"'Save' on {change_url} → 403")
    return problems


@pytest.mark.parametrize("model", PAGES, ids=[model._meta.label for model in PAGES])
def test_no_visible_action_of_a_console_page_leads_to_a_403(client, model):
    console_world()
    problems = []
    for role in ROLES:
        with transaction.atomic():  # what one role's actions change (delete, disable...) is undone for the next
            client.force_login(PlatformOperatorFactory(platform_role=role))
            problems += [f"{role}: {problem}" for problem in _follow_every_visible_action(client, model)]
            transaction.set_rollback(True)
    assert problems == []


def test_read_only_pages_offer_no_add_and_no_edit_to_any_role(client):
    """The pages named in issue 18: chat, webhooks and OAuth ID tokens are records, not forms."""
    console_world()
    client.force_login(PlatformOperatorFactory(platform_role=PlatformRole.OWNER))
    for label in (
        "chat.conversation",
        "chat.visitor",
        "webhooks.webhookendpoint",
        "webhooks.webhookdelivery",
        "webhooks.webhookevent",
        "oauth2_provider.idtoken",
    ):
        name = label.replace(".", "_")
        html = client.get(reverse(f"admin:{name}_changelist")).content.decode()
        assert f'href="{reverse(f"admin:{name}_add")}"' not in html, label
    id_token = admin.site._registry[next(m for m in PAGES if m._meta.label == "oauth2_provider.IDToken")]
    row = id_token.model.objects.first()
    html = client.get(reverse("admin:oauth2_provider_idtoken_change", args=[row.pk])).content.decode()
    assert 'name="_save"' not in html
    conversation = admin.site._registry[next(m for m in PAGES if m._meta.label == "chat.Conversation")].model
    html = client.get(
        reverse("admin:chat_conversation_change", args=[conversation.objects.first().pk])
    ).content.decode()
    assert "-empty" not in html  # no "Add another" row on the transcript or the assignment history
    assert "Visitor message msg_" in html
    assert "Agent message msg_" in html
