"""The event catalog: a registry of every event type an endpoint can subscribe to, and the serializer
that renders its ``data``.

The webhooks app knows no product. Each product app registers its event types in its
``AppConfig.ready()`` (``register_event(name, serializer=..., description=...)``), naming the entity's
one output serializer; emitting code renders ``data`` through the same registry
(``event_data(event_type, instance)``), and the generated schema publishes each type as a callback of
``createWebhook`` and ``listWebhooks`` whose body is that serializer. So the documented payload *is*
the code that renders it. A webhook body is always ``{"id", "type", "timestamp", "tenantId", "data"}``.

``webhook.test`` is the catalog's own event (``POST /server/webhooks/test``); it is listed last.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from drf_spectacular.utils import OpenApiCallback, extend_schema, inline_serializer
from rest_framework import serializers

from ringnity.api.outputs import OutputSerializer, UTCDateTimeField

WILDCARD = "*"
TEST_EVENT = "webhook.test"


@dataclass(frozen=True)
class EventType:
    name: str
    description: str
    serializer: type[serializers.Serializer]

    @property
    def serializer_path(self) -> str:
        return f"{self.serializer.__module__}.{self.serializer.__qualname__}"


class TestEventOutput(OutputSerializer):
    """The ``data`` of ``webhook.test``."""

    test = serializers.BooleanField()
    webhookId = serializers.CharField()
    message = serializers.CharField()

    class Meta:
        ref_name = "WebhookTestEventData"


_TEST = EventType(TEST_EVENT, "Sent by `POST /server/webhooks/test` only.", TestEventOutput)
#: Every event type by name, product events in registration order, then ``webhook.test``.
EVENT_TYPES: dict[str, EventType] = {TEST_EVENT: _TEST}


def register_event(name: str, *, serializer: type[serializers.Serializer], description: str) -> None:
    """Adds a product event type (call in ``AppConfig.ready()``); registering the same type twice is a no-op."""
    event = EventType(name, description, serializer)
    existing = EVENT_TYPES.get(name)
    if existing is not None and existing != event:
        raise ImproperlyConfigured(f"webhook event {name!r} is already registered with {existing.serializer_path}")
    EVENT_TYPES.pop(TEST_EVENT)
    EVENT_TYPES[name] = event
    EVENT_TYPES[TEST_EVENT] = _TEST


def register_events(events) -> None:
    """``register_event`` for each ``(name, serializer, description)`` of an app's event table."""
    for name, serializer, description in events:
        register_event(name, serializer=serializer, description=description)


def available_events() -> list[str]:
    return list(EVENT_TYPES)


def is_known(event_type: str) -> bool:
    return event_type in EVENT_TYPES


def subscribes(events: list[str], event_type: str) -> bool:
    return WILDCARD in events or event_type in events


def event_data(event_type: str, instance) -> dict:
    """The ``data`` of an ``event_type`` event: ``instance`` rendered by the type's registered serializer."""
    try:
        event = EVENT_TYPES[event_type]
    except KeyError:
        raise ValueError(f"unknown webhook event type {event_type!r}: register it in its app's ready()") from None
    return dict(event.serializer(instance).data)


def _body_serializer(event: EventType):
    suffix = "".join(part.capitalize() for part in event.name.replace(".", "_").split("_"))
    return inline_serializer(
        f"WebhookEvent{suffix}",
        {
            "id": serializers.CharField(help_text="The event id (evt_...)."),
            "type": serializers.ChoiceField(choices=[event.name]),
            "timestamp": UTCDateTimeField(help_text="When the event happened."),
            "tenantId": serializers.CharField(),
            "data": event.serializer(),
        },
    )


def event_callbacks() -> list[OpenApiCallback]:
    """One OpenAPI callback per event type: the POST a subscribed endpoint receives."""
    if not apps.ready:
        raise ImproperlyConfigured("the webhook catalog is complete only once every app's ready() has run")
    return _callbacks(tuple(EVENT_TYPES.values()))


@cache
def _callbacks(events: tuple[EventType, ...]) -> list[OpenApiCallback]:
    # Built once per catalog (one component per event type), after every app registered its events.
    headers = (
        "Headers (Standard Webhooks): `webhook-id` (the delivery id, the same on every retry), "
        "`webhook-timestamp` (unix seconds of this attempt), `webhook-signature` (`v1,<base64 HMAC-SHA256 of "
        '"{webhook-id}.{webhook-timestamp}.{body}" keyed with the base64-decoded part of the `whsec_` secret>`; '
        "two space-separated signatures for 24 h after a secret change), `User-Agent: Ringnity-Webhooks/<version>`, "
        "`X-Ringnity-Event`. Answer 2xx within 10 s; 3xx is a failure; 410 disables the endpoint."
    )
    return [
        OpenApiCallback(
            event.name,
            "{$request.body#/url}",
            extend_schema(
                summary=event.description,
                description=headers,
                request=_body_serializer(event),
                responses={200: None},
            ),
        )
        for event in events
    ]
