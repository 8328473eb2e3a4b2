"""The shape of the workspace: public faces and the direction of dependencies (ARCHITECTURE §1)."""

from __future__ import annotations

import ast
import importlib
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
OURS = frozenset({"statestore", "logkit", "docconv", "marketdata", "alerts", "bridge"})

# What each package may import of ours. Everything else of ours is forbidden.
ALLOWED: dict[str, frozenset[str]] = {
    "logkit": frozenset(),
    "statestore": frozenset({"logkit"}),
    "docconv": frozenset({"logkit"}),
    "marketdata": frozenset({"logkit", "statestore"}),
    "alerts": frozenset({"logkit", "statestore"}),
    "bridge": OURS - {"bridge"},
}


def _source_dir(package: str) -> Path:
    return (
        REPO_ROOT / ("bridge" if package == "bridge" else f"packages/{package}") / "src" / package
    )


def _imported_top_levels(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


class TestPublicFace:
    @pytest.mark.parametrize("package", sorted(OURS))
    def test_all_is_sorted_and_lists_every_public_name(self, package: str) -> None:
        module = importlib.import_module(package)
        public = sorted(
            name
            for name, value in vars(module).items()
            if not name.startswith("_") and not inspect.ismodule(value)
        )
        assert module.__all__ == sorted(module.__all__)
        assert module.__all__ == public

    @pytest.mark.parametrize("package", sorted(OURS))
    def test_package_is_typed(self, package: str) -> None:
        assert (_source_dir(package) / "py.typed").is_file()

    @pytest.mark.parametrize("package", sorted(OURS))
    def test_python_dash_m_answers_help(self, package: str) -> None:
        result = subprocess.run(
            [sys.executable, "-m", package, "--help"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert "Usage" in result.stdout


class TestDependencyDirection:
    @pytest.mark.parametrize("package", sorted(OURS))
    def test_imports_only_what_architecture_allows(self, package: str) -> None:
        forbidden = OURS - ALLOWED[package] - {package}
        offenders = {
            f"{path.relative_to(REPO_ROOT)} imports {name}"
            for path in _source_dir(package).rglob("*.py")
            for name in _imported_top_levels(path) & forbidden
        }
        assert not offenders

    @pytest.mark.parametrize("package", sorted(OURS))
    def test_declared_dependencies_match_allowed(self, package: str) -> None:
        import tomllib

        folder = _source_dir(package).parents[1]
        project = tomllib.loads((folder / "pyproject.toml").read_text(encoding="utf-8"))
        ours = {
            dep.removeprefix("switchyard-").split(">")[0].split("=")[0].strip()
            for dep in project["project"]["dependencies"]
            if dep.startswith("switchyard-")
        }
        assert ours <= ALLOWED[package]

    def test_the_checker_sees_a_forbidden_import(self, tmp_path: Path) -> None:
        module = tmp_path / "bad.py"
        module.write_text("import marketdata.cli\nfrom alerts import x\nfrom . import y\n")
        assert _imported_top_levels(module) == {"marketdata", "alerts"}
