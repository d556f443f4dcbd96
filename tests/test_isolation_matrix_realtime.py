"""The isolation matrix over the real gateway: every client frame of the AsyncAPI document that names an
object, sent with tenant B's ids on a socket authenticated with each of tenant A's credentials, is refused
with a not-found ``error`` frame and changes nothing of B's (a ``call.hangup`` ends no call of B's).

The frames come from ``docs/contract/ringnity-realtime.asyncapi.yaml`` through
``ringnity.testing.isolation.realtime_id_frames``: a frame added later with an id field is covered, and
one with a field the generator does not know fails here with what to add.
"""

from __future__ import annotations

import pytest

from apps.realtime.tests.gateway import gateway_process
from ringnity.testing.isolation import (
    CALL_BOUND_FORMS,
    GATEWAY_FORMS,
    HARMLESS_FRAMES,
    Unclassified,
    realtime_id_frames,
)
from ringnity.testing.realtime_contract import load_asyncapi
from tests.isolation_world import fingerprint, tenant_world

pytestmark = pytest.mark.django_db(transaction=True)
DOCUMENT = load_asyncapi()
FRAMES = realtime_id_frames(DOCUMENT)


def _token(credential) -> str:
    return next(iter(credential.headers.values()))


def _frames(frame, ids: dict[str, str]):
    """One client frame per ``type`` and per object kind its id field may name, with B's ids and every other
    field filled (``sdp``, ``candidate``...: the frame must pass validation so that the id is what answers)."""
    payload = DOCUMENT["components"]["messages"][frame.message]["payload"]["properties"]
    filler = {"boolean": True, "string": "x", "object": {}}
    extra = {name: filler[spec["type"]] for name, spec in payload.items() if spec.get("type") in filler}
    extra.pop("type", None)
    for frame_type in frame.types:
        for field, kinds in frame.fields:
            for kind in kinds:
                yield {"type": frame_type, field: ids[kind], **extra}


def test_every_realtime_frame_with_an_id_is_classified():
    unclassified = [found.message for found in FRAMES if isinstance(found, Unclassified)]
    assert not unclassified, "\n\n".join(unclassified)
    assert {frame.message for frame in FRAMES} >= {"subscribe", "typingIn", "callSignalIn"}


def test_frames_naming_another_tenants_objects_are_refused_over_the_real_gateway():
    a, b = tenant_world("rt-a"), tenant_world("rt-b")
    before = fingerprint(b.tenant)
    failures, cases = [], 0
    with gateway_process() as gateway:
        for form in GATEWAY_FORMS:
            socket = gateway.socket()
            try:
                socket.auth(_token(a.credentials[form]))
                bound = form in CALL_BOUND_FORMS
                for frame in FRAMES:
                    harmless = frame.message in HARMLESS_FRAMES and not bound
                    for sent in _frames(frame, b.ids):
                        cases += 1
                        socket.send(sent)
                        answer = socket.recv_type("unsubscribed" if harmless else "error")
                        if harmless:
                            continue
                        denied = bound and frame.message != "callSignalIn" and answer["code"] == "PERMISSION_DENIED"
                        if not (answer["code"].endswith("NOT_FOUND") or denied):
                            failures.append(f"{form}: {sent} -> {answer}")
            finally:
                socket.close()
    assert not failures, "\n".join(failures)
    assert cases >= len(GATEWAY_FORMS) * 6
    assert fingerprint(b.tenant) == before, "a refused frame changed tenant B's rows"
