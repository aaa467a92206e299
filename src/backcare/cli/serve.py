"""`serve`: the HTTP API and the web page.

uvicorn's own proxy-header handling is off: the API reads ``X-Forwarded-For``
or ``Forwarded`` itself, only from ``BACKCARE_TRUSTED_PROXIES``
(``backcare.api.proxies``). On SIGTERM uvicorn stops accepting, lets the requests
in flight finish (up to ``BACKCARE_SHUTDOWN_GRACE`` seconds) and exits 0.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from backcare.cli._common import (
    KbOption,
    _fail,
    _open,
    _settings,
    _stores,
    app,
    console,
)
from backcare.settings import Settings


def _app_factory() -> Any:
    """One worker's app for `serve --workers N` (uvicorn imports it by name)."""
    from backcare.api import create_app

    settings = _settings()
    stores = _stores()
    return create_app(
        _open(None),
        feedback=stores.feedback,
        diary=stores.diary,
        **_app_options(settings),
    )


def _app_options(settings: Settings) -> dict[str, Any]:
    """``create_app``'s keyword arguments that come from the settings."""
    from backcare.api import TrustedProxies

    try:
        trusted = TrustedProxies.parse(settings.trusted_proxies)
    except ValueError as exc:
        raise _fail(f"BACKCARE_TRUSTED_PROXIES: {exc}", 2) from exc
    return {
        "rate_limit": _rate_limit(settings),
        "trusted_proxies": trusted,
        "proxy_header": settings.proxy_header,
    }


def _server_options(settings: Settings) -> dict[str, Any]:
    """``uvicorn.Config``'s keyword arguments that come from the settings."""
    from backcare.api.logs import uvicorn_log_config

    return {
        "proxy_headers": False,
        "access_log": False,  # the API writes its own, with the request id
        "log_config": uvicorn_log_config(settings.log_format),
        "timeout_graceful_shutdown": settings.shutdown_grace,
    }


def _rate_limit(settings: Settings) -> Any:
    """The ``RateLimit`` for ``serve`` from the settings; None when turned off."""
    from backcare.api import RateLimit

    if settings.rate_limit == 0:
        return None
    return RateLimit(rate=settings.rate_limit, burst=settings.rate_burst)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8000,
    kb: KbOption = None,
    workers: Annotated[
        int, typer.Option(min=1, help="Worker processes; each loads the model and index once.")
    ] = 1,
) -> None:
    """Serve the HTTP API and the web page (the model and index load once, at start).

    Example: backcare serve --port 8000, then open http://127.0.0.1:8000/
    """
    import uvicorn

    from backcare.api import create_app

    settings = _settings()
    options = _app_options(settings)  # a bad setting fails before the model loads
    # Load (and on first run build) the model and index before accepting requests.
    backcare = _open(kb)
    stores = _stores()
    url = f"http://{host}:{port}"
    if workers == 1:
        console.print(f"backcare is serving on {url}", soft_wrap=True)
        uvicorn.run(
            create_app(backcare, feedback=stores.feedback, diary=stores.diary, **options),
            host=host,
            port=port,
            log_level="info",
            **_server_options(settings),
        )
        return
    stores.close()
    if kb is not None:
        # Each worker process reads its settings afresh; this is how --kb reaches it.
        import os

        os.environ["BACKCARE_KB"] = str(kb.resolve())
    console.print(f"backcare is serving on {url} ({workers} workers)", soft_wrap=True)
    _run_workers(
        uvicorn.Config(
            "backcare.cli.serve:_app_factory",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="info",
            **_server_options(settings),
        )
    )


def _run_workers(config: Any) -> None:
    """``uvicorn.run``'s multi-worker path, with TCP_NODELAY on the shared socket.

    uvicorn binds that socket without naming TCP as its protocol, so asyncio
    never turns Nagle's algorithm off on its connections, and every response
    waits for the client's delayed ACK: about 40 ms more per request (issue 9's
    load test: /healthz took 44 ms with two workers, 1 ms with this). Linux
    gives each accepted connection the listener's TCP_NODELAY.
    """
    import socket

    from uvicorn.supervisors import Multiprocess

    sock = config.bind_socket()
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    Multiprocess(config, sockets=[sock]).run()
