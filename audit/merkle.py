"""RFC 6962 / RFC 9162 Merkle tree over the audit chain: roots, proofs and their verification.

What the leaves are
-------------------
The log is the sequence of audited events in chain order. The *entry* (the RFC's ``d(i)``)
of event ``i`` is that event's ``entry_hash`` from the hash chain, as its **32 raw bytes**
(not the hex text). So

    leaf hash  = SHA-256(0x00 || entry_hash)            (:func:`leaf_hash`, :func:`entry_leaf`)
    node hash  = SHA-256(0x01 || left || right)         (:func:`node_hash`)
    empty root = SHA-256("")                            (:data:`EMPTY_ROOT`)

and the tree hash of ``n`` entries is RFC 9162 §2.1.1 ``MTH(D[n])``: split at ``k``, the
largest power of two smaller than ``n``. Every function here that takes "leaf hashes" wants
the level-0 node hashes (already ``leaf_hash``-ed), 32 bytes each. Indices are 0-based.

Proofs and their verification
-----------------------------
:func:`inclusion_proof` is RFC 9162 §2.1.3.1 ``PATH(m, D[n])`` and :func:`consistency_proof`
is §2.1.4.1 ``PROOF(m, D[n])``; both list hashes bottom-up exactly as the RFC does, so they
interoperate with other RFC 6962/9162 logs and verifiers. :func:`verify_inclusion` and
:func:`verify_consistency` implement the verification algorithms of §2.1.3.2 and §2.1.4.2
step by step. Cases the RFC's algorithms leave to the caller are decided here as follows:

- inclusion: ``index >= size`` fails (so does ``size == 0``);
- consistency, ``m > n``: fails (a tree cannot shrink);
- consistency, ``m == n``: the proof must be empty and the two roots equal;
- consistency, ``m == 0``: the proof must be empty and ``root_m`` (and ``root_n`` when
  ``n == 0``) must be :data:`EMPTY_ROOT` (stricter than transparency-dev/merkle, which
  accepts any root there: a size-0 checkpoint can only carry the empty root, so anything
  else is a forgery);
- every hash (leaf, roots, proof elements) must be exactly 32 bytes.

Failures raise :class:`~audit.errors.ProofError` whose ``reason`` says which check failed.

A proof authenticates hashes, not sizes: a root hash does not encode its tree size, and for
some sizes the RFC algorithms walk identical paths (the consistency proof from 2 to 5 also
"verifies" from 2 to 6 against the same two roots). Take every size from a *signed*
checkpoint, never from the proof document alone; :mod:`audit.verifier` does.

Building trees
--------------
- :class:`MerkleAccumulator` is a compact range ``[0, n)``: the O(log n) perfect-subtree
  hashes on the right edge of the tree. ``append`` costs O(log n) amortised O(1) hashes and
  ``root`` O(log n); its ``state`` can be stored beside a checkpoint and restored with
  :meth:`MerkleAccumulator.from_state`, so the next checkpoint needs only the new entries.
- :class:`MerkleTree` keeps every perfect-subtree hash (about 2n hashes, ~13 MB for
  100,000 events) and answers ``root(size)``, inclusion and consistency proofs for *any*
  earlier size in O(log² n) hashes.
- The proof functions also accept a plain list of leaf hashes or a ``leaf_hash(i)``
  callable; they then hash each needed leaf once, O(n) per proof. Use a :class:`MerkleTree`
  to answer many proofs over one tree.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

from audit.errors import ProofError

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "ConsistencyProof",
    "InclusionProof",
    "LeafSource",
    "MerkleAccumulator",
    "MerkleTree",
    "consistency_proof",
    "entry_leaf",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root",
    "verify_consistency",
    "verify_inclusion",
]

#: Size in bytes of every hash in the tree (SHA-256).
HASH_SIZE = 32

#: Root hash of the empty tree: SHA-256 of the empty string (RFC 9162 §2.1.1).
EMPTY_ROOT = hashlib.sha256(b"").digest()

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


def leaf_hash(data: bytes) -> bytes:
    """RFC 6962 leaf hash: SHA-256(0x00 || data)."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 interior node hash: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def entry_leaf(entry_hash: bytes) -> bytes:
    """Leaf hash of one chain event: :func:`leaf_hash` of its 32-byte ``entry_hash``.

    Pass the raw bytes (``bytes.fromhex(event.entry_hash)``), not the hex text.
    """
    if not isinstance(entry_hash, bytes) or len(entry_hash) != HASH_SIZE:
        raise ValueError(f"entry_hash must be {HASH_SIZE} raw bytes")
    return leaf_hash(entry_hash)


def _largest_power_of_two_below(n: int) -> int:
    """The ``k`` of RFC 9162: the largest power of two strictly smaller than ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def _check_hash(value: object, what: str) -> bytes:
    if not isinstance(value, bytes) or len(value) != HASH_SIZE:
        raise ValueError(f"{what} must be {HASH_SIZE} bytes")
    return value


# ---------------------------------------------------------------------------------------------
# Incremental structures
# ---------------------------------------------------------------------------------------------


class MerkleAccumulator:
    """Compact range over leaves ``[0, size)``: append in O(log n), root in O(log n).

    ``hashes`` are the roots of the perfect subtrees that make up the tree, left to right, one
    per set bit of ``size`` (largest first). Together with ``size`` they are the whole state.
    """

    __slots__ = ("_hashes", "_size")

    def __init__(self) -> None:
        self._size = 0
        self._hashes: list[bytes] = []

    @classmethod
    def from_state(cls, size: int, hashes: Sequence[bytes]) -> MerkleAccumulator:
        """Restore an accumulator saved as ``(acc.size, acc.hashes)``."""
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise ValueError("size must be a non-negative integer")
        if len(hashes) != size.bit_count():
            raise ValueError(
                f"a compact range of size {size} has {size.bit_count()} hashes, got {len(hashes)}"
            )
        acc = cls()
        acc._size = size
        acc._hashes = [_check_hash(h, "compact range hash") for h in hashes]
        return acc

    @property
    def size(self) -> int:
        """Number of leaves appended so far."""
        return self._size

    @property
    def hashes(self) -> tuple[bytes, ...]:
        """Perfect-subtree roots, left to right (the saved state, with :attr:`size`)."""
        return tuple(self._hashes)

    def append(self, leaf: bytes) -> None:
        """Append one leaf hash (already :func:`leaf_hash`-ed, 32 bytes)."""
        h = _check_hash(leaf, "leaf hash")
        size = self._size
        # Each trailing 1 bit of the old size is a perfect subtree of the same height as
        # the one being carried: merge them, like binary addition.
        while size & 1:
            h = node_hash(self._hashes.pop(), h)
            size >>= 1
        self._hashes.append(h)
        self._size += 1

    def extend(self, leaves: Iterable[bytes]) -> None:
        """Append many leaf hashes in order."""
        for leaf in leaves:
            self.append(leaf)

    def root(self) -> bytes:
        """``MTH`` of the leaves so far (:data:`EMPTY_ROOT` when empty)."""
        if not self._hashes:
            return EMPTY_ROOT
        h = self._hashes[-1]
        for left in reversed(self._hashes[:-1]):
            h = node_hash(left, h)
        return h

    def copy(self) -> MerkleAccumulator:
        """An independent copy."""
        return MerkleAccumulator.from_state(self._size, self._hashes)


class MerkleTree:
    """In-memory tree keeping every perfect-subtree hash; proofs for any earlier size.

    ``levels[h][i]`` is the root of the perfect subtree of height ``h`` over leaves
    ``[i * 2**h, (i + 1) * 2**h)``. Appending is O(log n); ``root(size)`` and the proofs are
    O(log² n) hashes for any ``size`` up to :attr:`size`.
    """

    __slots__ = ("_levels",)

    def __init__(self, leaves: Iterable[bytes] = ()) -> None:
        self._levels: list[list[bytes]] = [[]]
        for leaf in leaves:
            self.append(leaf)

    @property
    def size(self) -> int:
        """Number of leaves."""
        return len(self._levels[0])

    def leaf(self, index: int) -> bytes:
        """Leaf hash at ``index``."""
        return self._levels[0][index]

    def append(self, leaf: bytes) -> None:
        """Append one leaf hash (already :func:`leaf_hash`-ed, 32 bytes)."""
        self._levels[0].append(_check_hash(leaf, "leaf hash"))
        height = 0
        while len(self._levels[height]) % 2 == 0:
            level = self._levels[height]
            if height + 1 == len(self._levels):
                self._levels.append([])
            self._levels[height + 1].append(node_hash(level[-2], level[-1]))
            height += 1

    def extend(self, leaves: Iterable[bytes]) -> None:
        """Append many leaf hashes in order."""
        for leaf in leaves:
            self.append(leaf)

    def root(self, size: int | None = None) -> bytes:
        """``MTH`` of the first ``size`` leaves (all of them by default)."""
        if size is None:
            size = self.size
        if not 0 <= size <= self.size:
            raise ValueError(f"size {size} outside 0..{self.size}")
        return self.range_hash(0, size)

    def range_hash(self, start: int, end: int) -> bytes:
        """``MTH`` of leaves ``[start, end)`` taken as a list of their own."""
        if not 0 <= start < end <= self.size:
            if start == end == 0:
                return EMPTY_ROOT
            raise ValueError(f"range [{start}, {end}) outside 0..{self.size}")
        n = end - start
        top = n.bit_length() - 1
        if start % (1 << top):
            # Not aligned: the sublist's own tree shape differs from ours. Rehash leaves.
            return _hash_leaf_range(self._levels[0].__getitem__, start, end)
        # Perfect subtrees of the sublist, largest first, are aligned perfect subtrees here.
        parts: list[bytes] = []
        pos = start
        for height in range(top, -1, -1):
            if n >> height & 1:
                parts.append(self._levels[height][pos >> height])
                pos += 1 << height
        h = parts[-1]
        for left in reversed(parts[:-1]):
            h = node_hash(left, h)
        return h


#: Where proofs get leaf hashes: a list of them, a ``leaf_hash(i)`` callable or a tree.
LeafSource: TypeAlias = Sequence[bytes] | Callable[[int], bytes] | MerkleTree


def _hash_leaf_range(get: Callable[[int], bytes], start: int, end: int) -> bytes:
    acc = MerkleAccumulator()
    for i in range(start, end):
        acc.append(get(i))
    return acc.root()


def _range_hasher(leaves: LeafSource, size: int) -> Callable[[int, int], bytes]:
    """A function giving ``MTH(D[start:end])`` for ranges inside the first ``size`` leaves."""
    if isinstance(leaves, MerkleTree):
        if size > leaves.size:
            raise ValueError(f"size {size} exceeds the tree's {leaves.size} leaves")
        return leaves.range_hash
    if isinstance(leaves, Sequence):
        if size > len(leaves):
            raise ValueError(f"size {size} exceeds the {len(leaves)} leaves given")
        get: Callable[[int], bytes] = leaves.__getitem__
    else:
        get = leaves
    return lambda start, end: _hash_leaf_range(get, start, end)


def _check_size(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{what} must be a non-negative integer")
    return value


def root(leaf_hashes: Sequence[bytes] | Iterable[bytes]) -> bytes:
    """``MTH`` of the given leaf hashes (RFC 9162 §2.1.1); :data:`EMPTY_ROOT` when empty."""
    acc = MerkleAccumulator()
    acc.extend(leaf_hashes)
    return acc.root()


def inclusion_proof(index: int, size: int, leaves: LeafSource) -> list[bytes]:
    """RFC 9162 §2.1.3.1 inclusion proof ``PATH(index, D[size])``, bottom-up.

    ``leaves`` must hold at least ``size`` leaf hashes; only the first ``size`` are used.
    """
    _check_size(index, "index")
    _check_size(size, "size")
    if index >= size:
        raise ValueError(f"index {index} is not below size {size}")
    range_hash = _range_hasher(leaves, size)
    top_down: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        split = start + _largest_power_of_two_below(end - start)
        if index < split:
            top_down.append(range_hash(split, end))
            end = split
        else:
            top_down.append(range_hash(start, split))
            start = split
    top_down.reverse()
    return top_down


def consistency_proof(m: int, n: int, leaves: LeafSource) -> list[bytes]:
    """RFC 9162 §2.1.4.1 consistency proof ``PROOF(m, D[n])``, bottom-up.

    Empty for ``m == 0`` and ``m == n``. ``leaves`` must hold at least ``n`` leaf hashes.
    """
    _check_size(m, "m")
    _check_size(n, "n")
    if m > n:
        raise ValueError(f"m {m} is larger than n {n}")
    if m in (0, n):
        return []
    range_hash = _range_hasher(leaves, n)
    top_down: list[bytes] = []
    start, end, first, complete = 0, n, m, True
    while first != end - start:
        k = _largest_power_of_two_below(end - start)
        if first <= k:
            top_down.append(range_hash(start + k, end))
            end = start + k
        else:
            top_down.append(range_hash(start, start + k))
            start += k
            first -= k
            complete = False
    # SUBPROOF(m, D[m], b): the old subtree's own hash unless it is the whole old tree.
    if not complete:
        top_down.append(range_hash(start, end))
    top_down.reverse()
    return top_down


# ---------------------------------------------------------------------------------------------
# Verification (RFC 9162 §2.1.3.2 and §2.1.4.2)
# ---------------------------------------------------------------------------------------------


def _proof_hashes(proof: Sequence[bytes]) -> list[bytes]:
    if isinstance(proof, bytes | str):
        raise ProofError("proof must be a sequence of hashes, not a single value")
    out: list[bytes] = []
    for i, p in enumerate(proof):
        if not isinstance(p, bytes) or len(p) != HASH_SIZE:
            raise ProofError(f"proof element {i} is not a {HASH_SIZE}-byte hash")
        out.append(p)
    return out


def _verify_hash(value: object, what: str) -> bytes:
    if not isinstance(value, bytes) or len(value) != HASH_SIZE:
        raise ProofError(f"{what} is not a {HASH_SIZE}-byte hash")
    return value


def _verify_size(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ProofError(f"{what} is not a non-negative integer")
    return value


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree of ``size`` with ``root``.

    RFC 9162 §2.1.3.2, step by step. Returns ``None``; raises
    :class:`~audit.errors.ProofError` on any failure.
    """
    leaf = _verify_hash(leaf_hash, "leaf hash")
    expected = _verify_hash(root, "root hash")
    index = _verify_size(index, "leaf index")
    size = _verify_size(size, "tree size")
    path = _proof_hashes(proof)
    # 1. leaf_index must be below tree_size.
    if index >= size:
        raise ProofError(f"leaf index {index} is not below tree size {size}")
    # 2.-3.
    fn, sn = index, size - 1
    r = leaf
    # 4.
    for p in path:
        if sn == 0:
            raise ProofError("proof has more hashes than the tree size allows")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    # 5.
    if sn != 0:
        raise ProofError("proof has fewer hashes than the tree size needs")
    if not hmac.compare_digest(r, expected):
        raise ProofError("computed root does not match the expected root")


def verify_consistency(
    m: int, n: int, root_m: bytes, root_n: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree of size ``n`` with ``root_n`` extends the one of ``m``/``root_m``.

    RFC 9162 §2.1.4.2, step by step, with the edge cases listed in the module docstring.
    Returns ``None``; raises :class:`~audit.errors.ProofError` on any failure.
    """
    first_hash = _verify_hash(root_m, "first root hash")
    second_hash = _verify_hash(root_n, "second root hash")
    m = _verify_size(m, "first tree size")
    n = _verify_size(n, "second tree size")
    path = _proof_hashes(proof)
    if m > n:
        raise ProofError(f"first tree size {m} is larger than second tree size {n}")
    if m == 0:
        if path:
            raise ProofError("proof from the empty tree must be empty")
        if not hmac.compare_digest(first_hash, EMPTY_ROOT):
            raise ProofError("root of the empty tree is not SHA-256 of the empty string")
        if n == 0 and not hmac.compare_digest(second_hash, EMPTY_ROOT):
            raise ProofError("root of the empty tree is not SHA-256 of the empty string")
        return
    if m == n:
        if path:
            raise ProofError("proof between equal tree sizes must be empty")
        if not hmac.compare_digest(first_hash, second_hash):
            raise ProofError("equal tree sizes with different roots")
        return
    # 1.
    if not path:
        raise ProofError("consistency proof is empty")
    # 2. If first is an exact power of 2, prepend first_hash.
    if m & (m - 1) == 0:
        path = [first_hash, *path]
    # 3.
    fn, sn = m - 1, n - 1
    # 4.
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # 5.
    fr = sr = path[0]
    # 6.
    for c in path[1:]:
        if sn == 0:
            raise ProofError("proof has more hashes than the tree sizes allow")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    # 7.
    if sn != 0:
        raise ProofError("proof has fewer hashes than the tree sizes need")
    if not hmac.compare_digest(fr, first_hash):
        raise ProofError("computed first root does not match the first root")
    if not hmac.compare_digest(sr, second_hash):
        raise ProofError("computed second root does not match the second root")


# ---------------------------------------------------------------------------------------------
# Portable proof documents
# ---------------------------------------------------------------------------------------------


def _load_object(document: str | Mapping[str, Any], kind: str) -> Mapping[str, Any]:
    if isinstance(document, str):
        try:
            loaded = json.loads(document)
        except ValueError as exc:
            raise ProofError(f"{kind} is not valid JSON: {exc}") from None
    else:
        loaded = document
    if not isinstance(loaded, Mapping):
        raise ProofError(f"{kind} must be a JSON object")
    return loaded


def _load_int(obj: Mapping[str, Any], key: str, kind: str) -> int:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ProofError(f"{kind}.{key} must be a non-negative integer")
    return value


def _load_hashes(obj: Mapping[str, Any], kind: str) -> tuple[bytes, ...]:
    raw = obj.get("hashes")
    if not isinstance(raw, list):
        raise ProofError(f"{kind}.hashes must be a list of hex strings")
    out: list[bytes] = []
    for i, h in enumerate(raw):
        if not isinstance(h, str) or len(h) != 2 * HASH_SIZE or h.strip("0123456789abcdef") != "":
            raise ProofError(f"{kind}.hashes[{i}] is not 64 lowercase hex digits")
        out.append(bytes.fromhex(h))
    return tuple(out)


def _check_keys(obj: Mapping[str, Any], allowed: set[str], kind: str) -> None:
    extra = set(obj) - allowed
    if extra:
        raise ProofError(f"{kind} has unknown fields: {', '.join(sorted(extra))}")


@dataclass(frozen=True, slots=True)
class InclusionProof:
    """An inclusion proof as exchanged with verifiers.

    JSON form: ``{"hashes": [hex...], "leaf_index": i, "tree_size": n}`` (lowercase hex,
    bottom-up order as in RFC 9162).
    """

    leaf_index: int
    tree_size: int
    hashes: tuple[bytes, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (hashes as lowercase hex)."""
        return {
            "hashes": [h.hex() for h in self.hashes],
            "leaf_index": self.leaf_index,
            "tree_size": self.tree_size,
        }

    def to_json(self) -> str:
        """Compact JSON text with sorted keys (the canonical form)."""
        return json.dumps(self.to_dict(), separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, document: str | Mapping[str, Any]) -> InclusionProof:
        """Parse the JSON form (text or already-decoded object); ProofError if malformed."""
        kind = "inclusion proof"
        obj = _load_object(document, kind)
        _check_keys(obj, {"hashes", "leaf_index", "tree_size"}, kind)
        return cls(
            leaf_index=_load_int(obj, "leaf_index", kind),
            tree_size=_load_int(obj, "tree_size", kind),
            hashes=_load_hashes(obj, kind),
        )

    def verify(self, leaf_hash: bytes, root: bytes) -> None:
        """:func:`verify_inclusion` with this proof's index, size and hashes."""
        verify_inclusion(leaf_hash, self.leaf_index, self.tree_size, self.hashes, root)


@dataclass(frozen=True, slots=True)
class ConsistencyProof:
    """A consistency proof as exchanged with verifiers.

    JSON form: ``{"first_size": m, "hashes": [hex...], "second_size": n}``.
    """

    first_size: int
    second_size: int
    hashes: tuple[bytes, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (hashes as lowercase hex)."""
        return {
            "first_size": self.first_size,
            "hashes": [h.hex() for h in self.hashes],
            "second_size": self.second_size,
        }

    def to_json(self) -> str:
        """Compact JSON text with sorted keys (the canonical form)."""
        return json.dumps(self.to_dict(), separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, document: str | Mapping[str, Any]) -> ConsistencyProof:
        """Parse the JSON form (text or already-decoded object); ProofError if malformed."""
        kind = "consistency proof"
        obj = _load_object(document, kind)
        _check_keys(obj, {"first_size", "hashes", "second_size"}, kind)
        return cls(
            first_size=_load_int(obj, "first_size", kind),
            second_size=_load_int(obj, "second_size", kind),
            hashes=_load_hashes(obj, kind),
        )

    def verify(self, first_root: bytes, second_root: bytes) -> None:
        """:func:`verify_consistency` with this proof's sizes and hashes."""
        verify_consistency(self.first_size, self.second_size, first_root, second_root, self.hashes)
