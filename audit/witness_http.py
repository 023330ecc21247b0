"""An HTTP witness (C2SP tlog-witness ``add-checkpoint``) and its client.

The server (``claims audit witness serve``) is configured with one log: its verifier key
(whose name is the log's origin). For each ``POST <prefix>/add-checkpoint`` it follows
c2sp.org/tlog-witness: the body is ``old <size>\\n``, up to 63 base64 consistency-proof
lines, an empty line and the signed checkpoint. It answers 404 for another origin, 403 when
no signature by the log's key verifies, 400 for a malformed body or an old size above the
new one, 409 (``text/x.tlog.size``: its latest size) when the old size is not the size it
cosigned last, 409 when the size is the same but the root differs, 422 when the RFC 6962
consistency proof does not verify; otherwise it persists the checkpoint (append-only, in
the file-witness format of :mod:`audit.witness`, so ``verify --witness DIR`` reads it too)
and answers 200 with one cosignature line (c2sp.org/tlog-cosignature, Ed25519,
``cosignature/v1``: key ID over ``name || 0x0A || 0x04 || public key``, signature =
8-byte big-endian timestamp || Ed25519 over ``cosignature/v1\\ntime <t>\\n`` + the
checkpoint body). Checking the old size and persisting happen under one lock (and an
exclusive ``flock`` on the file), so two requests cannot roll the witness back.

Monitoring (our extension; tlog-witness leaves retrieval open): ``GET <prefix>/checkpoint``
returns the latest cosigned checkpoint with its cosignature, 404 before the first one.
``claims audit verify --witness URL`` compares the stored trail with it.

The client side (:func:`submit_checkpoint`) builds the request from the log's stored
events (the proof from the size the witness last cosigned, learned from a 409 when
unknown) and checks the cosignature when the witness's verifier key is configured.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from audit.checkpoint import Checkpoint, key_name, open_note, parse_checkpoint, verify_checkpoint
from audit.errors import CheckpointError, ProofError, WitnessError
from audit.merkle import verify_consistency
from audit.transactions import now_text
from audit.witness import FileWitness, Witnessed

__all__ = [
    "ALG_COSIGNATURE",
    "CosignerKey",
    "WitnessServer",
    "fetch_witnessed",
    "submit_checkpoint",
    "verify_cosignature",
]

#: Signature type of Ed25519 cosignatures (c2sp.org/tlog-cosignature).
ALG_COSIGNATURE = 0x04
_MAX_PROOF_LINES = 63
_MAX_BODY = 64 * 1024
_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class CosignerKey:
    """The witness's Ed25519 cosigner key and name."""

    name: str
    private_key: Ed25519PrivateKey

    @classmethod
    def load_or_create(cls, path: Path, name: str) -> CosignerKey:
        """The key in ``path`` (32-byte seed, base64), made (mode 0600) on first use."""
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            seed = Ed25519PrivateKey.generate().private_bytes_raw()
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as out:
                out.write(base64.b64encode(seed).decode("ascii") + "\n")
        try:
            seed = base64.b64decode(path.read_text(encoding="ascii").strip(), validate=True)
            return cls(name, Ed25519PrivateKey.from_private_bytes(seed))
        except (ValueError, UnicodeDecodeError) as exc:
            raise WitnessError(f"{path} is not a witness key: {exc}") from None

    def key_id(self) -> bytes:
        public = self.private_key.public_key().public_bytes_raw()
        return _cosigner_key_id(self.name, public)

    def verifier_key(self) -> str:
        """``<name>+<hex key id>+<base64(0x04 || public key)>`` (a C2SP vkey)."""
        public = self.private_key.public_key().public_bytes_raw()
        material = base64.b64encode(bytes([ALG_COSIGNATURE]) + public).decode("ascii")
        return f"{self.name}+{self.key_id().hex()}+{material}"

    def cosign(self, body: str, timestamp: int) -> str:
        """One cosignature line over a checkpoint body."""
        signature = self.private_key.sign(_cosigned_message(body, timestamp))
        blob = self.key_id() + timestamp.to_bytes(8, "big") + signature
        return f"— {self.name} {base64.b64encode(blob).decode('ascii')}\n"


def _cosigner_key_id(name: str, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([ALG_COSIGNATURE]) + public).digest()[:4]


def _cosigned_message(body: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{body}".encode()


def verify_cosignature(line: str, body: str, witness_key: str) -> int:
    """Check one cosignature line by ``witness_key`` over ``body``; returns its timestamp."""
    try:
        name, id_hex, material = witness_key.strip().split("+", 2)
        raw = base64.b64decode(material, validate=True)
        if len(raw) != 33 or raw[0] != ALG_COSIGNATURE:
            raise ValueError("not an Ed25519 cosigner key (type 0x04)")
        public = Ed25519PublicKey.from_public_bytes(raw[1:])
        prefix = f"— {name} "
        if not line.startswith(prefix):
            raise ValueError(f"not a cosignature by {name}")
        blob = base64.b64decode(line[len(prefix) :].strip(), validate=True)
        if len(blob) != 4 + 8 + 64 or blob[:4] != _cosigner_key_id(name, raw[1:]):
            raise ValueError("wrong key ID or length")
        if blob[:4].hex() != id_hex:
            raise ValueError("the key's ID does not match its name and key")
        timestamp = int.from_bytes(blob[4:12], "big")
        public.verify(blob[12:], _cosigned_message(body, timestamp))
    except (ValueError, InvalidSignature) as exc:
        raise WitnessError(f"the witness's cosignature does not verify: {exc}") from None
    return timestamp


# ---------------------------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------------------------


class _Refused(Exception):
    def __init__(self, status: HTTPStatus, message: str, content_type: str = "text/plain") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.content_type = content_type


@dataclass(frozen=True, slots=True)
class _Request:
    old_size: int
    proof: list[bytes]
    note: str


def _parse_request(body: bytes) -> _Request:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise _Refused(HTTPStatus.BAD_REQUEST, "the body is not UTF-8") from None
    head, sep, note = text.partition("\n\n")
    lines = head.split("\n")
    if not sep or not lines[0].startswith("old "):
        raise _Refused(HTTPStatus.BAD_REQUEST, "expected 'old <size>', proof lines, an empty line")
    size_text = lines[0][4:]
    if not size_text.isdigit() or (size_text != "0" and size_text.startswith("0")):
        raise _Refused(HTTPStatus.BAD_REQUEST, "the old size is not a canonical decimal")
    if len(lines) - 1 > _MAX_PROOF_LINES:
        raise _Refused(HTTPStatus.BAD_REQUEST, "more than 63 consistency proof lines")
    try:
        proof = [base64.b64decode(line, validate=True) for line in lines[1:]]
    except ValueError:
        raise _Refused(HTTPStatus.BAD_REQUEST, "a proof line is not base64") from None
    if any(len(h) != 32 for h in proof):
        raise _Refused(HTTPStatus.BAD_REQUEST, "a proof line is not a 32-byte hash")
    return _Request(int(size_text), proof, note)


class WitnessServer:
    """The witness's state and checks (module docstring), independent of the HTTP layer."""

    def __init__(self, directory: Path, *, log_key: str, key: CosignerKey) -> None:
        self.origin = key_name(log_key)
        self._log_key = log_key
        self._key = key
        self._store = FileWitness(directory, verifier_key=log_key, origin=self.origin)
        self._lock = threading.Lock()
        Path(directory).mkdir(parents=True, exist_ok=True)

    def latest(self) -> Witnessed | None:
        records = self._store.records()
        return records[-1] if records else None

    def add_checkpoint(self, body: bytes) -> str:
        """The cosignature line for a valid request; :class:`_Refused` otherwise."""
        request = _parse_request(body)
        try:
            stated = parse_checkpoint(request.note)
        except CheckpointError as exc:
            raise _Refused(HTTPStatus.BAD_REQUEST, f"not a checkpoint: {exc}") from None
        if stated.origin != self.origin:
            raise _Refused(HTTPStatus.NOT_FOUND, "unknown log origin")
        try:
            checkpoint = verify_checkpoint(request.note, self._log_key, origin=self.origin)
        except CheckpointError as exc:
            raise _Refused(HTTPStatus.FORBIDDEN, f"no valid signature by the log: {exc}") from None
        if request.old_size > checkpoint.size:
            raise _Refused(HTTPStatus.BAD_REQUEST, "the old size is above the checkpoint's")
        with self._lock, open(self._store.path, "a+", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            latest = self.latest()
            self._check(request, checkpoint, latest)
            if latest is None or latest.checkpoint.size != checkpoint.size:
                record = {
                    "checkpoint": request.note,
                    "compact_range": [],
                    "size": checkpoint.size,
                    "witnessed_at": now_text(),
                }
                handle.write(json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
        body_text = open_note(request.note, self._log_key)
        return self._key.cosign(body_text, int(time.time()))

    @staticmethod
    def _check(request: _Request, new: Checkpoint, latest: Witnessed | None) -> None:
        size = latest.checkpoint.size if latest is not None else 0
        if request.old_size != size:
            raise _Refused(HTTPStatus.CONFLICT, f"{size}\n", "text/x.tlog.size")
        if latest is None:
            if request.proof:
                raise _Refused(HTTPStatus.UNPROCESSABLE_ENTITY, "the proof must be empty from 0")
            return
        if new.size == size:
            if new.root != latest.checkpoint.root:
                raise _Refused(HTTPStatus.CONFLICT, "same size, another root: a fork")
            return
        try:
            verify_consistency(size, new.size, latest.checkpoint.root, new.root, request.proof)
        except ProofError as exc:
            raise _Refused(HTTPStatus.UNPROCESSABLE_ENTITY, f"not consistent: {exc}") from None

    def handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                if self.path.rstrip("/").rsplit("/", 1)[-1] != "add-checkpoint":
                    self._send(HTTPStatus.NOT_FOUND, "not found\n")
                    return
                length = int(self.headers.get("Content-Length") or 0)
                if not 0 < length <= _MAX_BODY:
                    self._send(HTTPStatus.BAD_REQUEST, "a body of 1..65536 bytes is required\n")
                    return
                try:
                    line = server.add_checkpoint(self.rfile.read(length))
                except _Refused as refused:
                    self._send(refused.status, refused.message, refused.content_type)
                    return
                self._send(HTTPStatus.OK, line)

            def do_GET(self) -> None:
                latest = server.latest()
                if self.path.rstrip("/").rsplit("/", 1)[-1] != "checkpoint" or latest is None:
                    self._send(HTTPStatus.NOT_FOUND, "no checkpoint witnessed yet\n")
                    return
                body = open_note(latest.note, server._log_key)
                self._send(HTTPStatus.OK, latest.note + server._key.cosign(body, int(time.time())))

            def _send(self, status: HTTPStatus, text: str, ctype: str = "text/plain") -> None:
                data = text.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", f"{ctype}; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                return  # the CLI prints one line per request itself if asked

        return Handler

    def serve(self, host: str, port: int) -> ThreadingHTTPServer:
        """A bound server (call ``serve_forever``)."""
        return ThreadingHTTPServer((host, port), self.handler())


# ---------------------------------------------------------------------------------------------
# The client
# ---------------------------------------------------------------------------------------------

#: ``proof(old_size, new_size)``: the RFC 6962 consistency proof hashes, bottom-up.
ProofSource = Callable[[int, int], Sequence[bytes]]

_KNOWN_SIZES: dict[str, int] = {}


def _post(url: str, body: bytes) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Content-Type", "text/plain; charset=utf-8")
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as response:
            return int(response.status), response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError) as exc:
        raise WitnessError(f"the witness at {url} cannot be reached: {exc}") from None


def submit_checkpoint(
    url: str,
    note: str,
    size: int,
    proof: ProofSource,
    *,
    witness_key: str | None = None,
    log_key: str | None = None,
) -> str:
    """Send a checkpoint to the witness at ``url``; returns its cosignature line(s).

    The old size is the one this process last saw the witness accept (0 at first); on a 409
    with ``text/x.tlog.size`` the request is made once more from the size it names.
    """
    endpoint = url.rstrip("/") + "/add-checkpoint"
    old = _KNOWN_SIZES.get(endpoint, 0)
    for _attempt in range(2):
        old = min(old, size)
        lines = "".join(base64.b64encode(h).decode("ascii") + "\n" for h in proof(old, size))
        status, text = _post(endpoint, f"old {old}\n{lines}\n{note}".encode())
        if status == HTTPStatus.OK:
            _KNOWN_SIZES[endpoint] = size
            if witness_key is not None and log_key is not None:
                verify_cosignature(
                    text.splitlines()[0] + "\n", open_note(note, log_key), witness_key
                )
            return text
        if status == HTTPStatus.CONFLICT and text.strip().isdigit():
            old = int(text.strip())
            if old > size:
                break
            continue
        break
    raise WitnessError(f"the witness refused checkpoint {size} ({status}): {text.strip()}")


def fetch_witnessed(url: str, *, verifier_key: str, origin: str) -> list[Witnessed]:
    """The latest checkpoint the witness at ``url`` cosigned (``GET .../checkpoint``)."""
    endpoint = url.rstrip("/") + "/checkpoint"
    try:
        with urllib.request.urlopen(endpoint, timeout=_TIMEOUT_S) as response:
            note = response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        if exc.code == HTTPStatus.NOT_FOUND:
            return []
        raise WitnessError(f"the witness at {url} answered {exc.code}") from None
    except (urllib.error.URLError, OSError, UnicodeDecodeError) as exc:
        raise WitnessError(f"the witness at {url} cannot be reached: {exc}") from None
    try:
        return [Witnessed(verify_checkpoint(note, verifier_key, origin=origin), note)]
    except CheckpointError as exc:
        raise WitnessError(
            f"the witness at {url} holds no checkpoint signed by the log: {exc}"
        ) from None
