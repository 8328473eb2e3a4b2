"""The plugin zip bundles the PHP client where the plugin looks for it (not e2e)."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _make_zip(output: Path) -> Path:
    spec = importlib.util.spec_from_file_location(
        "make_zip", REPO / "bridge" / "wordpress" / "make_zip.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    built: Path = module.build(output)
    return built


def test_zip_holds_plugin_and_bundled_client(tmp_path: Path) -> None:
    names = set(zipfile.ZipFile(_make_zip(tmp_path / "switchyard.zip")).namelist())
    assert "switchyard/switchyard.php" in names
    assert "switchyard/readme.txt" in names
    assert "switchyard/lib/switchyard-bridge/autoload.php" in names
    assert "switchyard/lib/switchyard-bridge/src/Client.php" in names
    assert not any("/tests/" in name for name in names)


@pytest.mark.skipif(shutil.which("php") is None, reason="php is not installed")
def test_bundled_client_loads_from_the_extracted_plugin(tmp_path: Path) -> None:
    with zipfile.ZipFile(_make_zip(tmp_path / "switchyard.zip")) as archive:
        archive.extractall(tmp_path / "plugins")
    autoload = tmp_path / "plugins" / "switchyard" / "lib" / "switchyard-bridge" / "autoload.php"
    code = (
        f"require {str(autoload)!r};"
        "$c = new Switchyard\\Bridge\\Client('http://127.0.0.1:9', 'secret-token-value');"
        "echo get_class($c), ' ', $c->url('/v1/quotes/IBM');"
    )
    result = subprocess.run(
        ["php", "-r", code], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Switchyard\\Bridge\\Client http://127.0.0.1:9/v1/quotes/IBM"
