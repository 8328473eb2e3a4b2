"""Sessions for lint, type checks, tests, benchmarks and end-to-end tests.

`nox` alone runs lint, typecheck and tests. Every session installs the locked
workspace with uv, so what runs here is what `uv.lock` pins.
"""

from __future__ import annotations

import os
from pathlib import Path

import nox

nox.needs_version = ">=2024.4.15"
nox.options.default_venv_backend = "uv"
nox.options.sessions = ["lint", "typecheck", "tests"]
nox.options.error_on_missing_interpreters = True

ROOT = Path(__file__).parent
PACKAGES = ["statestore", "logkit", "docconv", "marketdata", "alerts", "bridge"]
SOURCES = [*(f"packages/{p}/src" for p in PACKAGES if p != "bridge"), "bridge/src"]


def _sync(session: nox.Session, *groups: str) -> None:
    """Install the locked workspace and the given dependency groups into the session."""
    args = [f"--group={group}" for group in groups]
    session.run_install(
        "uv",
        "sync",
        "--quiet",
        "--locked",
        "--all-packages",
        "--no-default-groups",
        *args,
        env={"UV_PROJECT_ENVIRONMENT": session.virtualenv.location},
        external=True,
    )


def _fixtures_env() -> dict[str, str]:
    """Point tests and benchmarks at the shared fixtures unless the caller already did."""
    default = (ROOT / ".." / "shared" / "fixtures").resolve()
    return {"SWITCHYARD_FIXTURES": os.environ.get("SWITCHYARD_FIXTURES", str(default))}


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    """Lint and check formatting with ruff."""
    _sync(session, "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python="3.11")
def typecheck(session: nox.Session) -> None:
    """Type-check packages, bridge, tests, benchmarks and this file with mypy --strict."""
    _sync(session, "typecheck", "bench")
    benchmarks = ["benchmarks"] if any(ROOT.glob("benchmarks/*.py")) else []
    session.run("mypy", *SOURCES, "tests", *benchmarks, "noxfile.py", *session.posargs)


@nox.session(python="3.11")
def tests(session: nox.Session) -> None:
    """Run the test suite (no real services, no network beyond loopback) with branch coverage."""
    _sync(session, "test")
    session.run(
        "pytest",
        "-m",
        "not e2e",
        *(f"--cov={p}" for p in PACKAGES),
        "--cov-report=term",
        *session.posargs,
        env=_fixtures_env(),
    )


@nox.session(python="3.11", default=False)
def e2e(session: nox.Session) -> None:
    """Run the end-to-end tests against real Redis, PHP and WordPress (installed by .ci/run)."""
    _sync(session, "test")
    session.run("pytest", "-m", "e2e", *session.posargs, env=_fixtures_env())


# What each distribution needs from the workspace besides itself, in install order.
LOCAL_REQUIREMENTS: dict[str, list[str]] = {
    "statestore": [],
    "logkit": [],
    "docconv": [],
    "marketdata": ["statestore", "logkit"],
    "alerts": ["statestore", "logkit"],
    "bridge": ["statestore", "logkit", "docconv", "marketdata", "alerts"],
}


def _member_path(name: str) -> str:
    return "./bridge" if name == "bridge" else f"./packages/{name}"


@nox.session(python="3.11", default=False, venv_backend="none")
def dists(session: nox.Session) -> None:
    """Install each distribution alone into a fresh virtualenv with pip and call its CLI."""
    tmp = Path(session.create_tmp())
    for name, needs in LOCAL_REQUIREMENTS.items():
        venv = tmp / f"venv-{name}"
        session.run("python3", "-m", "venv", "--clear", str(venv))
        pip = str(venv / "bin" / "pip")
        paths = [_member_path(n) for n in [*needs, name]]
        session.run(pip, "install", "--quiet", "--disable-pip-version-check", *paths)
        session.run(pip, "check")
        session.run(str(venv / "bin" / name), "--help", silent=True)
        session.run(str(venv / "bin" / "python"), "-m", name, "--help", silent=True)


@nox.session(python="3.11", default=False)
def bench(session: nox.Session) -> None:
    """Run the benchmarks in benchmarks/ and print each one's figures."""
    _sync(session, "test", "bench")
    scripts = sorted(ROOT.glob("benchmarks/*_*.py"))
    if session.posargs:
        scripts = [s for s in scripts if any(arg in s.name for arg in session.posargs)]
    if not scripts:
        session.error("no benchmark matched")
    for script in scripts:
        session.log(f"benchmark {script.name}")
        session.run("python", str(script), env=_fixtures_env())
