"""Run the workspace with uvicorn on the loopback interface only."""

from __future__ import annotations

import socket
from collections.abc import Callable, Sequence
from pathlib import Path

import uvicorn

from ..decisions import load_review
from ..errors import InputError
from .app import create_app

LOOPBACK = "127.0.0.1"
ALLOWED_HOSTS = ("127.0.0.1", "localhost")
DEFAULT_PORT = 8421


def check_host(host: str) -> str:
    """The workspace has no login, so it listens on 127.0.0.1 and nowhere else."""
    if host.strip().lower() not in ALLOWED_HOSTS:
        raise InputError(
            f"--host {host!r}: the workspace only listens on 127.0.0.1 (it has no login); "
            "reach it from elsewhere through an SSH tunnel"
        )
    return LOOPBACK


def bind(port: int, host: str = LOOPBACK) -> socket.socket:
    """A listening socket on the loopback interface; port 0 picks a free one."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((check_host(host), port))
    except OSError as exc:
        sock.close()
        raise InputError(
            f"cannot listen on {LOOPBACK}:{port} ({exc.strerror or exc}); "
            "choose another --port (0 picks a free one)"
        ) from None
    sock.listen(128)
    return sock


def build_server(
    folders: Sequence[Path] = (), reviewer: str | None = None
) -> tuple[uvicorn.Server, Callable[[], None]]:
    """A uvicorn server for the workspace (not started) and a function that stops it."""
    for folder in folders:
        load_review(folder)  # one clear line now rather than an empty page later
    app = create_app(folders, reviewer)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)

    def stop() -> None:
        server.should_exit = True

    return server, stop


def serve(
    folders: Sequence[Path] = (),
    port: int = DEFAULT_PORT,
    reviewer: str | None = None,
    host: str = LOOPBACK,
    announce: Callable[[str], None] = print,
) -> None:
    """Serve the workspace until Ctrl-C (uvicorn stops cleanly on SIGINT or SIGTERM)."""
    check_host(host)
    server, _ = build_server(folders, reviewer)
    sock = bind(port, host)
    url = f"http://{LOOPBACK}:{sock.getsockname()[1]}/"
    announce(f"review workspace at {url} (Ctrl-C to stop)")
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn re-raises the Ctrl-C it caught once it has shut down
        pass
    finally:
        sock.close()
    announce("stopped")
