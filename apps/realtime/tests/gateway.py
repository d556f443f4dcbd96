"""Real gateway processes for the tests: uvicorn serving ``ringnity.asgi`` on a loopback port, on the test
database and Redis, and a ``websockets`` client that validates every frame against the AsyncAPI document.

The tests write through the in-process API client (committed: ``transaction=True``); the event leaves
the test process through the Redis channel layer and reaches the server process's sockets, exactly as
it would from a web worker.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from contextlib import contextmanager

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from apps.realtime.protocol import PATH
from ringnity.testing.realtime_contract import assert_client_frame, assert_server_frame
from ringnity.testing.servers import (
    ROOT,
    free_port,
    require_database_and_redis,
    server_env,
    stop_process,
    wait_for_port,
)


class Gateway:
    def __init__(self, port: int, process: subprocess.Popen) -> None:
        self.port, self.process = port, process
        self.url = f"ws://127.0.0.1:{port}/{PATH}"
        self.http = f"http://127.0.0.1:{port}"

    def socket(self, **kw) -> Socket:
        return Socket(self.url, **kw)

    def healthy(self) -> bool:
        return self.process.poll() is None


@contextmanager
def gateway_process(*, static: bool = False, **env_overrides):
    """A uvicorn process serving the ASGI application (HTTP and WebSocket) on a free loopback port.

    ``static``: also the static files, as ``make run`` serves them (``ringnity.devserver``), and the
    process's public URL is its own (the pages it renders point the browser at it): the browser tests.
    """
    require_database_and_redis("gateway process", "the channel layer")
    port = free_port()
    if static:
        env_overrides.setdefault("RINGNITY_PUBLIC_URL", f"http://127.0.0.1:{port}")
    env = server_env(**{"REALTIME_REVALIDATE_SECONDS": 1, "REALTIME_AUTH_TIMEOUT_SECONDS": 2, **env_overrides})
    app = ["--factory", "ringnity.devserver:application_with_static"] if static else ["ringnity.asgi:application"]
    command = [sys.executable, "-m", "uvicorn", *app, "--host", "127.0.0.1"]
    command += ["--port", str(port), "--ws", "websockets", "--lifespan", "off", "--log-level", "warning"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for_port(process, port, what="gateway")
        yield Gateway(port, process)
    finally:
        stop_process(process)


class Socket:
    """A ``websockets`` client; every frame received is validated against the AsyncAPI document."""

    def __init__(self, url: str, *, origin: str | None = None, slow_reader: bool = False, **kw) -> None:
        if slow_reader:  # a client that reads little: a tiny receive window and one queued message
            raw = socket.socket()
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            raw.connect(("127.0.0.1", int(url.split(":")[2].split("/")[0])))
            kw.update(sock=raw, max_queue=1, compression=None)
        # Entered at once (websockets wants its connection used as a context manager); ``close`` leaves it.
        self.ws = connect(url, origin=origin, open_timeout=10, close_timeout=5, **kw).__enter__()
        self.received: list[dict] = []

    def send(self, frame: dict, *, validate: bool = True) -> None:
        self.ws.send(json.dumps(assert_client_frame(frame) if validate else frame))

    def send_raw(self, data) -> None:
        self.ws.send(data)

    def recv(self, timeout: float = 10) -> dict:
        frame = assert_server_frame(json.loads(self.ws.recv(timeout=timeout)))
        self.received.append(frame)
        if frame["type"] == "ping":
            self.send({"type": "pong"})  # as every client must
        return frame

    def recv_type(self, frame_type: str, timeout: float = 10, *, skip=("ping", "presence")) -> dict:
        """The next frame of ``frame_type``; frames of the ``skip`` types may come first, others fail."""
        deadline = time.monotonic() + timeout
        while True:
            frame = self.recv(timeout=max(0.01, deadline - time.monotonic()))
            if frame["type"] == frame_type:
                return frame
            assert frame["type"] in skip, f"expected {frame_type}, got {frame}"

    def auth(self, token: str) -> dict:
        self.send({"type": "auth", "token": token})
        return self.recv_type("ready")

    def nothing_for(self, seconds: float, *, ignore=("ping",)) -> None:
        """Asserts that no frame (other than ``ignore``) arrives within ``seconds``."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                frame = self.recv(timeout=left)
            except TimeoutError:
                return
            assert frame["type"] in ignore, f"unexpected frame {frame}"

    def closed(self, timeout: float = 10) -> tuple[int, list[dict]]:
        """Reads until the server closes; the close code and the frames that came before it."""
        frames = []
        deadline = time.monotonic() + timeout
        try:
            while True:
                frames.append(self.recv(timeout=max(0.01, deadline - time.monotonic())))
        except ConnectionClosed:
            return self.ws.close_code, frames
        except TimeoutError as exc:
            raise AssertionError(f"the server did not close the socket within {timeout} s") from exc

    def close(self) -> None:
        self.ws.close()


def token_of(headers: dict) -> str:
    """The runtime token in test headers (``runtime_headers``)."""
    return headers["HTTP_X_RINGNITY_SDK_SESSION"]
