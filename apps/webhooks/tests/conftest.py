import pytest

from ringnity.celery import app as celery_app


@pytest.fixture(autouse=True)
def _eager_celery(request):
    """Tasks run in-process (with the test's database connection) whatever the broker setting is;
    in tests marked ``worker`` they really go through the broker to a worker process.

    The app reads Django settings under the ``CELERY_`` namespace, so the override uses the prefixed
    keys (``conf.task_always_eager = True`` would be shadowed by ``CELERY_TASK_ALWAYS_EAGER``).
    """
    eager = request.node.get_closest_marker("worker") is None
    keys = ("CELERY_TASK_ALWAYS_EAGER", "CELERY_TASK_EAGER_PROPAGATES")
    previous = {key: celery_app.conf.get(key) for key in keys}
    for key in keys:
        celery_app.conf[key] = eager
    assert celery_app.conf.task_always_eager is eager
    yield
    for key, value in previous.items():
        celery_app.conf[key] = value


@pytest.fixture
def loopback(settings):
    """Development mode: http:// and loopback endpoints allowed (the receivers run on 127.0.0.1)."""
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    return settings
