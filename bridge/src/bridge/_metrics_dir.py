"""The multiprocess metrics folder, prepared before ``prometheus_client`` is imported."""

from __future__ import annotations

import os
import shutil
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path


def prepare_multiprocess_dir(run_dir: Path) -> Path:
    """Create an empty metrics folder for one ``bridge serve`` and clear stale ones.

    Must run before ``prometheus_client`` creates any metric in a worker, so the CLI calls it
    before starting uvicorn and exports the folder as ``PROMETHEUS_MULTIPROC_DIR``.

    Args:
        run_dir: the bridge's runtime folder.

    Returns:
        The folder for this server's workers.
    """
    base = run_dir / "metrics"
    base.mkdir(parents=True, exist_ok=True, mode=0o700)
    for old in base.iterdir():
        pid = old.name.rpartition("-")[2]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    path = base / f"serve-{os.getpid()}"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(mode=0o700)
    return path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
