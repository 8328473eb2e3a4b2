"""The bearer token: explicit (``BRIDGE_TOKEN``) or generated once into a 0600 file."""

from __future__ import annotations

import os
import secrets
import stat
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import SecretStr

from bridge._exceptions import TokenFileError

if TYPE_CHECKING:
    from pathlib import Path


@dataclass(frozen=True)
class TokenSource:
    """The token the bridge checks, and where it came from.

    Attributes:
        token: the secret.
        path: the file it was read from or written to; None when given by ``BRIDGE_TOKEN``.
        generated: True when this call created the file (first start).
    """

    token: SecretStr
    path: Path | None
    generated: bool


def _check_mode(path: Path) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise TokenFileError(
            f"token file {path} is readable by other users (mode {mode:o}); "
            f"run `chmod 600 {path}` and start again"
        )


def _read_existing(path: Path) -> TokenSource:
    _check_mode(path)
    value = path.read_text(encoding="utf-8").strip()
    if not value:
        raise TokenFileError(f"token file {path} is empty; delete it to generate a new one")
    return TokenSource(SecretStr(value), path, generated=False)


def load_or_create_token(path: Path, explicit: SecretStr | None = None) -> TokenSource:
    """Return the bearer token, generating it into ``path`` (mode 0600) on first use.

    Args:
        path: the token file.
        explicit: a token given by configuration; when set, no file is read or written.

    Returns:
        The token and its origin.

    Raises:
        TokenFileError: the file is group- or world-accessible, empty, or cannot be written.
    """
    if explicit is not None:
        return TokenSource(explicit, None, generated=False)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_existing(path)
    except OSError as exc:
        raise TokenFileError(f"cannot create token file {path}: {exc.strerror}") from exc
    value = secrets.token_urlsafe(32)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    return TokenSource(SecretStr(value), path, generated=True)


def wp_config_lines(url: str, token: SecretStr) -> list[str]:
    """The two ``define()`` lines to paste into ``wp-config.php``.

    Args:
        url: the bridge's base URL.
        token: the bearer token (written out in full: show these lines to the operator only).

    Returns:
        The two lines, PHP-quoted.
    """

    def quote(value: str) -> str:
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

    return [
        f"define('SWITCHYARD_BRIDGE_URL', {quote(url)});",
        f"define('SWITCHYARD_BRIDGE_TOKEN', {quote(token.get_secret_value())});",
    ]
