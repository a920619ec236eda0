"""Serving the page: the address checked (no open page on the network without a login), the
socket bound here so that a busy port is a clear error, then uvicorn (ASGI, HTTP/1.1 with h11)."""

from __future__ import annotations

import errno
import logging
import socket

from callwatch.config import parse_bind
from callwatch.errors import CallwatchError

log = logging.getLogger("callwatch.web")


def listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        why = "the port is already in use" if exc.errno == errno.EADDRINUSE else exc.strerror or str(exc)
        raise CallwatchError(f"the web page cannot listen on {host}:{port}: {why} (see [web] bind or --bind)") from None
    sock.listen(64)
    sock.set_inheritable(False)
    return sock


def serve(config, bind: str | None = None, *, ready=None) -> None:
    """Serve the page until SIGTERM or SIGINT. ``ready(url)`` is called once it listens."""
    import uvicorn
    from callwatch.web.app import create_app
    bind = bind or config.web.bind
    app = create_app(config, bind)                 # refuses an address open to others without a login
    host, port = parse_bind(bind)
    sock = listen(host, port)
    port = sock.getsockname()[1]
    app.state.bind = f"{'[' + host + ']' if ':' in host else host}:{port}"      # the port it got, for port 0
    url = f"http://{'[' + host + ']' if ':' in host else host}:{port}/"
    # No access log: a URL can carry a number (a filter), and logs never hold call data.
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, server_header=False,
                                           proxy_headers=True, forwarded_allow_ips="127.0.0.1,::1",
                                           timeout_graceful_shutdown=5, lifespan="off"))
    log.info("web page on %s (%s)", url, app.state.mode)
    if ready:
        ready(url)
    try:
        server.run(sockets=[sock])
    finally:
        app.state.runner.stop_all()
        sock.close()
