"""Benchmark settings: the production settings plus a bare comparison view (never in production URLs)."""

from ringnity.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
