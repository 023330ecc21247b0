"""C2SP tlog-proof (https://c2sp.org/tlog-proof): an inclusion proof and its checkpoint in one file.

The text form, every line ending in a newline (U+000A)::

    c2sp.org/tlog-proof@v1
    [extra <base64>]            optional; never written here, read and ignored
    index <leaf index, decimal, no leading zeros>
    <base64 of a 32-byte hash>  zero or more: the RFC 6962 inclusion path, the leaf's
    ...                         sibling first, the root's child last
    <empty line>
    <the signed checkpoint, verbatim (C2SP signed note, tlog-checkpoint body)>

The tree size is the checkpoint's: a tlog-proof carries no size of its own, so the size is
always a signed one. ``extra`` is unauthenticated opaque data (the spec forbids trusting it);
this log needs none, since the event document itself gives the entry hash.

:class:`TlogProof` parses strictly (canonical base64, canonical decimal, at most
:data:`MAX_PATH` hashes) and raises :class:`~audit.errors.ProofError` with what is wrong; the
checkpoint part is checked when it is verified (:func:`audit.checkpoint.verify_checkpoint`).
DB-free, like :mod:`audit.verifier`.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from audit.errors import ProofError
from audit.merkle import HASH_SIZE, InclusionProof

__all__ = ["HEADER", "MAX_PATH", "TlogProof", "is_tlog_proof"]

#: First line of every tlog-proof.
HEADER = "c2sp.org/tlog-proof@v1"

#: Most hashes an inclusion path can have (tree sizes stop below 2**63).
MAX_PATH = 63

_DECIMAL = re.compile(r"0|[1-9][0-9]{0,18}")


def is_tlog_proof(text: str) -> bool:
    """Whether ``text`` claims to be a tlog-proof (by its first line)."""
    return text.startswith(HEADER + "\n")


def _b64(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise ProofError(f"{what} is not valid base64") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise ProofError(f"{what} is not canonical base64")
    return raw


@dataclass(frozen=True, slots=True)
class TlogProof:
    """Leaf ``index``, its inclusion path ``hashes`` and the signed ``checkpoint`` note."""

    index: int
    hashes: tuple[bytes, ...]
    checkpoint: str
    extra: bytes | None = None

    def text(self) -> str:
        """The tlog-proof text (module docstring); ``extra`` is written when present."""
        if isinstance(self.index, bool) or not isinstance(self.index, int) or self.index < 0:
            raise ProofError("tlog-proof index must be a non-negative integer")
        lines = [HEADER]
        if self.extra is not None:
            lines.append("extra " + base64.b64encode(self.extra).decode("ascii"))
        lines.append(f"index {self.index}")
        for i, h in enumerate(self.hashes):
            if not isinstance(h, bytes) or len(h) != HASH_SIZE:
                raise ProofError(f"tlog-proof hash {i} is not {HASH_SIZE} bytes")
            lines.append(base64.b64encode(h).decode("ascii"))
        return "\n".join(lines) + "\n\n" + self.checkpoint

    @classmethod
    def parse(cls, text: str) -> TlogProof:
        """Parse the text form; :class:`~audit.errors.ProofError` says what is malformed."""
        if not isinstance(text, str) or not is_tlog_proof(text):
            raise ProofError(f"a tlog-proof starts with the line {HEADER!r}")
        head, sep, checkpoint = text.partition("\n\n")
        if not sep or not checkpoint:
            raise ProofError("tlog-proof has no empty line followed by its checkpoint")
        lines = head.split("\n")[1:]
        extra = None
        if lines and lines[0].startswith("extra "):
            extra = _b64(lines.pop(0)[len("extra ") :], "tlog-proof extra data")
        if not lines or not lines[0].startswith("index "):
            raise ProofError("tlog-proof needs an 'index N' line after its first line")
        index_text = lines.pop(0)[len("index ") :]
        if not _DECIMAL.fullmatch(index_text) or int(index_text) >= 2**63:
            raise ProofError(f"tlog-proof index {index_text!r} is not a canonical decimal")
        if len(lines) > MAX_PATH:
            raise ProofError(f"tlog-proof has more than {MAX_PATH} hashes")
        hashes: list[bytes] = []
        for i, line in enumerate(lines):
            raw = _b64(line, f"tlog-proof hash {i}")
            if len(raw) != HASH_SIZE:
                raise ProofError(f"tlog-proof hash {i} is not {HASH_SIZE} bytes")
            hashes.append(raw)
        return cls(int(index_text), tuple(hashes), checkpoint, extra)

    def inclusion_proof(self, tree_size: int) -> InclusionProof:
        """The same proof as an :class:`~audit.merkle.InclusionProof` in a tree of ``tree_size``
        (the size of the signed checkpoint)."""
        return InclusionProof(self.index, tree_size, self.hashes)
