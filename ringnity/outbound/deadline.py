"""One deadline for a whole outbound exchange (DNS, connect, TLS, send, every read)."""

from __future__ import annotations

import time


class DeadlineExceeded(TimeoutError):
    """The exchange did not finish within its deadline."""

    def __init__(self, seconds: float):
        super().__init__(f"timed out after {seconds:g} s")
        self.seconds = seconds


class Deadline:
    """A point on the monotonic clock; ``remaining()`` is what every blocking step may still wait.

    Each socket operation of an exchange sets its timeout to ``remaining()`` first, so a peer that
    answers one byte at a time cannot stretch the exchange: the sum of the waits is the deadline.
    """

    __slots__ = ("at", "seconds")

    def __init__(self, seconds: float, *, at: float | None = None):
        self.seconds = seconds
        self.at = time.monotonic() + seconds if at is None else at

    def remaining(self) -> float:
        """Seconds left; raises DeadlineExceeded when none are."""
        left = self.at - time.monotonic()
        if left <= 0:
            raise DeadlineExceeded(self.seconds)
        return left

    @property
    def expired(self) -> bool:
        return time.monotonic() >= self.at

    def within(self, seconds: float) -> Deadline:
        """A deadline ``seconds`` from now, but never later than this one (a step inside a budget)."""
        return Deadline(seconds, at=min(self.at, time.monotonic() + seconds))
