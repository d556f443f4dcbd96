"""Settings for the test suite (pyproject's ``DJANGO_SETTINGS_MODULE``): the real settings with
development values and a cheap password hasher.

``DEBUG=true`` is set in the environment (unless given) before the real settings are read, the
same value ``make test`` exports, so a plain ``pytest`` runs on the embedded default and the
subprocesses some tests start (Celery worker, settings probes) inherit it. pytest-django still
runs every test with ``settings.DEBUG = False``. Production settings are untouched.
"""

import os

os.environ.setdefault("DEBUG", "true")

from ringnity.settings import *  # noqa: F403

PASSWORD_HASHERS = [
    "ringnity.testing.hashers.FastArgon2PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
