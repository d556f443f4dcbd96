import pytest

from ringnity.celery import app as celery_app


@pytest.fixture(autouse=True)
def _eager_celery():
    """Tasks run in-process (with the test's database connection) whatever the broker setting is."""
    previous = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = previous


@pytest.fixture
def loopback(settings):
    """Development mode: http:// and loopback endpoints allowed (the receivers run on 127.0.0.1)."""
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    return settings
