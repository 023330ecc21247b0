"""Secrets in files: the one reader of every ``*_FILE`` setting, and the secrets the embedded
default generates on its first run (audit signer key, JWT secret)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from api.errors import SettingsError


def read_secret_file(
    path: Path,
    variable: str,
    *,
    strip: bool = True,
    error: type[SettingsError] = SettingsError,
) -> str:
    """The text of the secret file ``path`` named by the setting ``variable`` (surrounding
    whitespace stripped unless ``strip=False``), or ``error`` saying which setting names an
    unreadable file. The message never holds any of the file's content."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = "not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else exc.strerror
        raise error(f"cannot read {variable} {path}: {reason}") from None
    return text.strip() if strip else text


def create_secret_file(path: Path, secret: str) -> bool:
    """Write ``secret`` to ``path`` with mode 0600, atomically, unless the file exists.

    Returns False when another process created it first: the caller then reads that one, so
    two processes starting together end up with the same secret.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(secret + "\n")
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(tmp, path)  # atomic, and fails if the file appeared meanwhile
        except FileExistsError:
            return False
    finally:
        os.unlink(tmp)
    return True
