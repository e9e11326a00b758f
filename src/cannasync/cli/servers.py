"""Serving ASGI apps on loopback from a background thread: the demo, the tests and the bench use it."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn

#: How long the server keeps an idle keep-alive connection open. A client reuses an idle connection until its own
#: expiry (httpx's default is 5 s, as is uvicorn's timeout), so with equal timeouts a request sent at that instant
#: meets a connection the server is closing and fails with "Server disconnected without sending a response" (seen
#: on a loaded machine). Kept longer than any client's expiry, the client always closes first. 75 s is nginx's
#: default ``keepalive_timeout``.
KEEP_ALIVE_SECONDS = 75


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class BackgroundServer:
    """A real uvicorn server on a real port, started and stopped from the calling thread."""

    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int | None = None, log_level: str = "warning"):
        self.host = host
        self.port = port or free_port(host)
        config = uvicorn.Config(
            app,
            host=host,
            port=self.port,
            log_level=log_level,
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name=f"uvicorn:{self.port}", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 60.0) -> BackgroundServer:
        """Serve from a thread; returns once the server answers. A server that fails is reported at once; one that
        is slow to start (a machine busy with other work) is given a minute."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"server on port {self.port} did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
