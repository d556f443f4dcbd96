"""Running in production: health checks, metrics, structured logs, task context, the process set.

Plumbing like ``ringnity.api``: it knows no app. Apps (and the realtime gateway) report into it
through the functions of ``ringnity.ops.metrics``.
"""
