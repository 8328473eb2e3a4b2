"""`php -l` and a PHP 7.4 syntax check on every PHP file we ship (not e2e: needs only php)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PHP_FILES = sorted(
    [
        *(REPO / "bridge" / "php").rglob("*.php"),
        *(REPO / "bridge" / "wordpress").rglob("*.php"),
        *(REPO / "tests" / "e2e").rglob("*.php"),
    ]
)
PHP = shutil.which("php")
needs_php = pytest.mark.skipif(PHP is None, reason="php is not installed (apt-get install php-cli)")


def test_there_are_php_files_to_check() -> None:
    assert len(PHP_FILES) > 20
    assert REPO / "bridge" / "wordpress" / "switchyard" / "switchyard.php" in PHP_FILES


@needs_php
@pytest.mark.parametrize("path", PHP_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_php_lint(path: Path) -> None:
    assert PHP is not None
    result = subprocess.run(
        [PHP, "-n", "-l", str(path)], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


@needs_php
def test_no_php8_only_syntax_and_strict_types_everywhere() -> None:
    assert PHP is not None
    result = subprocess.run(
        [PHP, str(REPO / "tests" / "e2e" / "php_syntax.php"), *map(str, PHP_FILES)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@needs_php
def test_the_syntax_checker_catches_php8_syntax(tmp_path: Path) -> None:
    assert PHP is not None
    bad = tmp_path / "bad.php"
    bad.write_text(
        "<?php\n$x = $a?->b;\nfunction f(int|string $v): mixed { return match ($v) { 1 => 2 }; }\n"
    )
    result = subprocess.run(
        [PHP, str(REPO / "tests" / "e2e" / "php_syntax.php"), str(bad)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 1
    for reason in ("nullsafe", "union type", "mixed", "match expression", "strict_types"):
        assert reason in result.stdout


@pytest.mark.skipif(shutil.which("phpunit") is None, reason="phpunit is not installed")
def test_phpunit_unit_suite() -> None:
    """The PHP client's unit suite (no bridge needed: signing, URLs, error mapping, chart)."""
    result = subprocess.run(
        ["phpunit", "-c", str(REPO / "bridge" / "php" / "phpunit.xml.dist"), "--testsuite", "unit"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=REPO / "bridge" / "php",
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "OK (" in result.stdout, result.stdout[-2000:]
