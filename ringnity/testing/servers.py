"""Helpers for tests that start a real server process on loopback."""

import socket


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (for a server the test starts)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
