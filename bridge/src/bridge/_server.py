"""Run the bridge under uvicorn: TCP or a unix socket, one or several workers."""

from __future__ import annotations

import os
import shutil
from typing import TYPE_CHECKING

import uvicorn

if TYPE_CHECKING:
    from bridge._settings import Settings

APP_FACTORY = "bridge._app:create_app_from_env"


def serve(settings: Settings, *, access_log: bool = False) -> None:
    """Serve the bridge until interrupted.

    The settings are exported to the environment so every worker process rebuilds the same
    `Settings`; with several workers ``PROMETHEUS_MULTIPROC_DIR`` points at a fresh folder so
    ``/metrics`` adds up the samples of all of them. Must run before ``prometheus_client`` is
    imported in this process (the CLI imports this module lazily for that reason).

    Args:
        settings: validated settings.
        access_log: log one line per request (off by default: it costs throughput).
    """
    from bridge._metrics_dir import prepare_multiprocess_dir

    os.environ.update(settings.environ())
    metrics_dir = None
    if settings.workers > 1:
        # Several processes: each writes its samples to files that /metrics adds up. One
        # process keeps them in memory (cheaper per request, and just as correct).
        metrics_dir = prepare_multiprocess_dir(settings.run_dir)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = os.fspath(metrics_dir)
    else:
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    uds = os.fspath(settings.uds) if settings.uds is not None else None
    if uds is not None and settings.uds is not None:
        settings.uds.parent.mkdir(parents=True, exist_ok=True)
        if settings.uds.is_socket():
            settings.uds.unlink()
    try:
        uvicorn.run(
            APP_FACTORY,
            factory=True,
            host=settings.host,
            port=settings.port,
            uds=uds,
            workers=settings.workers if settings.workers > 1 else None,
            log_config=None,
            access_log=access_log,
            proxy_headers=False,
            server_header=False,
            timeout_graceful_shutdown=10,
        )
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)
