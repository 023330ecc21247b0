"""Merkle tree, proofs and verification, in the style of transparency-dev/merkle's tests.

Known answers are the RFC 6962 test data shared by transparency-dev/merkle (``testonly``
constants, ``proof/verify_test.go``, ``testonly/reference_test.go``) and
certificate-transparency-go: eight leaf inputs, the roots of every prefix, every complete
subtree hash and a set of inclusion and consistency proofs. They were copied from those
sources, not computed by the implementation under test.

Every known-good proof is then corrupted in every way those tests try (wrong index, size x2
and /2, wrong/empty/random root, trailing and preceding garbage, truncated or extended proof,
a flipped bit in each element, swapped sizes and roots) and each corruption must be rejected.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from audit.errors import AuditError, ProofError
from audit.merkle import (
    EMPTY_ROOT,
    ConsistencyProof,
    InclusionProof,
    MerkleAccumulator,
    MerkleTree,
    consistency_proof,
    entry_leaf,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)


def h(hex_text: str) -> bytes:
    raw = bytes.fromhex(hex_text)
    assert len(raw) == 32
    return raw


# ---------------------------------------------------------------------------------------------
# Known answers (transparency-dev/merkle testonly/constants.go, proof/verify_test.go)
# ---------------------------------------------------------------------------------------------

LEAF_INPUTS = [
    bytes.fromhex(x)
    for x in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]

# NodeHashes(): level 0 are the leaf hashes, then complete subtrees level by level.
NODE_HASHES = [
    [
        h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
        h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
        h("0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"),
        h("07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7"),
        h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        h("4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658"),
        h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
        h("46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"),
    ],
    [
        h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
        h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
        h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
        h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
    ],
    [
        h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
    ],
    [
        h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
    ],
]

# RootHashes(): indexed by tree size, from the empty tree.
ROOTS = [
    h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    h("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    h("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    h("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    h("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]

# CompactTrees(): the perfect-subtree hashes of every prefix.
NH = NODE_HASHES
COMPACT_TREES: list[list[bytes]] = [
    [],
    [NH[0][0]],
    [NH[1][0]],
    [NH[1][0], NH[0][2]],
    [NH[2][0]],
    [NH[2][0], NH[0][4]],
    [NH[2][0], NH[1][2]],
    [NH[2][0], NH[1][2], NH[0][6]],
    [NH[3][0]],
]

# (0-based leaf index, tree size, proof): reference_test.go TestRefInclusionProof and
# verify_test.go inclusionProofs (whose leaf numbers are 1-based there).
INCLUSION_PROOFS: list[tuple[int, int, list[bytes]]] = [
    (0, 1, []),
    (0, 2, [h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7")]),
    (1, 2, [h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")]),
    (2, 3, [h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")]),
    (
        1,
        5,
        [
            h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
    (
        0,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        5,
        8,
        [
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (2, 3, [h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")]),
    (
        1,
        5,
        [
            h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
]

# (size1, size2, proof): verify_test.go consistencyProofs and TestRefConsistencyProof.
CONSISTENCY_PROOFS: list[tuple[int, int, list[bytes]]] = [
    (1, 1, []),
    (
        1,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        6,
        8,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (
        2,
        5,
        [
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
    (
        6,
        7,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
]

SOME_HASH = h("abacaba000000000000000000000000000000000000000000060061e00123456")

LEAVES = [leaf_hash(x) for x in LEAF_INPUTS]


# ---------------------------------------------------------------------------------------------
# An independent reference: the RFC 9162 §2.1 definitions, literally and recursively
# ---------------------------------------------------------------------------------------------


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(d: Sequence[bytes]) -> bytes:
    """MTH over *leaf hashes*: leaf_hash already applied."""
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return d[0]
    k = _k(len(d))
    return hashlib.sha256(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:])).digest()


def ref_path(m: int, d: Sequence[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return [*ref_path(m, d[:k]), ref_mth(d[k:])]
    return [*ref_path(m - k, d[k:]), ref_mth(d[:k])]


def ref_subproof(m: int, d: Sequence[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [ref_mth(d)]
    k = _k(n)
    if m <= k:
        return [*ref_subproof(m, d[:k], b), ref_mth(d[k:])]
    return [*ref_subproof(m - k, d[k:], False), ref_mth(d[:k])]


def ref_proof(m: int, d: Sequence[bytes]) -> list[bytes]:
    if m in (0, len(d)):
        return []
    return ref_subproof(m, d, True)


def make_leaves(n: int, salt: bytes = b"") -> list[bytes]:
    return [leaf_hash(salt + i.to_bytes(4, "big")) for i in range(n)]


# ---------------------------------------------------------------------------------------------
# Hashing and roots
# ---------------------------------------------------------------------------------------------


def test_leaf_hashes_match_known_answers() -> None:
    assert NODE_HASHES[0] == LEAVES


def test_complete_subtree_hashes_match_known_answers() -> None:
    for level in range(1, len(NODE_HASHES)):
        below = NODE_HASHES[level - 1]
        assert [node_hash(below[2 * i], below[2 * i + 1]) for i in range(len(below) // 2)] == (
            NODE_HASHES[level]
        )


@pytest.mark.parametrize("size", range(9))
def test_roots_match_known_answers(size: int) -> None:
    assert root(LEAVES[:size]) == ROOTS[size]
    assert MerkleTree(LEAVES).root(size) == ROOTS[size]
    assert MerkleTree(LEAVES[:size]).root() == ROOTS[size]
    acc = MerkleAccumulator()
    acc.extend(LEAVES[:size])
    assert acc.root() == ROOTS[size]
    assert acc.size == size


def test_empty_root() -> None:
    assert ROOTS[0] == EMPTY_ROOT
    assert root([]) == EMPTY_ROOT
    assert MerkleTree().root() == EMPTY_ROOT
    assert MerkleAccumulator().root() == EMPTY_ROOT


@pytest.mark.parametrize("size", range(9))
def test_accumulator_state_is_the_compact_range(size: int) -> None:
    acc = MerkleAccumulator()
    acc.extend(LEAVES[:size])
    assert list(acc.hashes) == COMPACT_TREES[size]


def test_accumulator_resumes_from_saved_state() -> None:
    acc = MerkleAccumulator()
    acc.extend(LEAVES[:5])
    saved = (acc.size, acc.hashes)
    resumed = MerkleAccumulator.from_state(*saved)
    resumed.extend(LEAVES[5:])
    assert resumed.root() == ROOTS[8]
    copy = acc.copy()
    copy.append(LEAVES[5])
    assert acc.size == 5
    assert copy.root() == ROOTS[6]


def test_accumulator_rejects_bad_state_and_leaves() -> None:
    with pytest.raises(ValueError, match="has 2 hashes"):
        MerkleAccumulator.from_state(5, [ROOTS[4]])
    with pytest.raises(ValueError):
        MerkleAccumulator.from_state(-1, [])
    with pytest.raises(ValueError, match="32 bytes"):
        MerkleAccumulator.from_state(1, [b"short"])
    with pytest.raises(ValueError, match="32 bytes"):
        MerkleAccumulator().append(b"x" * 31)
    with pytest.raises(ValueError, match="32 bytes"):
        MerkleTree().append(b"x" * 33)


def test_entry_leaf_takes_raw_32_byte_entry_hashes() -> None:
    entry = hashlib.sha256(b"event").digest()
    assert entry_leaf(entry) == hashlib.sha256(b"\x00" + entry).digest()
    with pytest.raises(ValueError, match="32 raw bytes"):
        entry_leaf(entry.hex().encode())
    with pytest.raises(ValueError, match="32 raw bytes"):
        entry_leaf(entry.hex())  # type: ignore[arg-type]


def test_accumulator_matches_tree_over_100_000_leaves() -> None:
    leaves = make_leaves(100_000)
    acc = MerkleAccumulator()
    tree = MerkleTree()
    for i, leaf in enumerate(leaves):
        acc.append(leaf)
        tree.append(leaf)
        if i + 1 in (1, 2, 3, 1000, 65_536, 65_537, 99_999):
            assert acc.root() == tree.root()
    assert acc.root() == tree.root() == root(leaves)
    assert len(acc.hashes) == bin(100_000).count("1")
    for index in (0, 1, 65_535, 65_536, 99_999):
        proof = inclusion_proof(index, 100_000, tree)
        verify_inclusion(leaves[index], index, 100_000, proof, acc.root())
    proof = consistency_proof(70_001, 100_000, tree)
    verify_consistency(70_001, 100_000, tree.root(70_001), acc.root(), proof)


# ---------------------------------------------------------------------------------------------
# Known-answer proofs: generation and verification
# ---------------------------------------------------------------------------------------------


def _sources(leaves: list[bytes]) -> list[object]:
    return [leaves, leaves.__getitem__, MerkleTree(leaves)]


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_PROOFS)
def test_known_inclusion_proofs(index: int, size: int, proof: list[bytes]) -> None:
    for source in _sources(LEAVES):
        assert inclusion_proof(index, size, source) == proof  # type: ignore[arg-type]
    assert ref_path(index, LEAVES[:size]) == proof
    verify_inclusion(LEAVES[index], index, size, proof, ROOTS[size])


@pytest.mark.parametrize(("m", "n", "proof"), CONSISTENCY_PROOFS)
def test_known_consistency_proofs(m: int, n: int, proof: list[bytes]) -> None:
    for source in _sources(LEAVES):
        assert consistency_proof(m, n, source) == proof  # type: ignore[arg-type]
    assert ref_proof(m, LEAVES[:n]) == proof
    verify_consistency(m, n, ROOTS[m], ROOTS[n], proof)


# ---------------------------------------------------------------------------------------------
# Corruptions: transparency-dev/merkle corruptInclusionProof / corruptConsistencyProof
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InclusionProbe:
    index: int
    size: int
    root: bytes
    leaf: bytes
    proof: list[bytes]
    desc: str


@dataclass(frozen=True)
class ConsistencyProbe:
    m: int
    n: int
    root_m: bytes
    root_n: bytes
    proof: list[bytes]
    desc: str


def _flip(proof: list[bytes], i: int, bit: int) -> list[bytes]:
    out = list(proof)
    out[i] = bytes([out[i][0] ^ (1 << bit)]) + out[i][1:]
    return out


def corrupt_inclusion(
    index: int, size: int, proof: list[bytes], rt: bytes, leaf: bytes
) -> list[InclusionProbe]:
    probes = [
        InclusionProbe(index + 1, size, rt, leaf, proof, "index + 1"),
        InclusionProbe(index ^ 2, size, rt, leaf, proof, "index ^ 2"),
        InclusionProbe(index, size * 2, rt, leaf, proof, "size * 2"),
        InclusionProbe(index, size // 2, rt, leaf, proof, "size / 2"),
        InclusionProbe(index, size, rt, b"WrongLeaf", proof, "wrong leaf (shape)"),
        InclusionProbe(index, size, rt, SOME_HASH, proof, "wrong leaf"),
        InclusionProbe(index, size, EMPTY_ROOT, leaf, proof, "empty tree root"),
        InclusionProbe(index, size, b"", leaf, proof, "empty root"),
        InclusionProbe(index, size, SOME_HASH, leaf, proof, "random root"),
        InclusionProbe(index, size, rt, leaf, [*proof, b""], "trailing garbage"),
        InclusionProbe(index, size, rt, leaf, [*proof, rt], "trailing root"),
        InclusionProbe(index, size, rt, leaf, [b"", *proof], "preceding garbage"),
        InclusionProbe(index, size, rt, leaf, [rt, *proof], "preceding root"),
    ]
    if index > 0:
        probes.append(InclusionProbe(index - 1, size, rt, leaf, proof, "index - 1"))
    for i in range(len(proof)):
        for bit in (0, 3, 7):
            probes.append(
                InclusionProbe(index, size, rt, leaf, _flip(proof, i, bit), f"proof[{i}] bit {bit}")
            )
        # The last byte too, so no byte position is special.
        last = list(proof)
        last[i] = last[i][:-1] + bytes([last[i][-1] ^ 1])
        probes.append(InclusionProbe(index, size, rt, leaf, last, f"proof[{i}] last byte"))
    if proof:
        probes.append(InclusionProbe(index, size, rt, leaf, proof[:-1], "removed component"))
        probes.append(InclusionProbe(index, size, rt, leaf, proof[1:], "removed first"))
    if len(proof) > 1:
        probes.append(
            InclusionProbe(
                index, size, rt, leaf, [proof[0], SOME_HASH, *proof[1:]], "inserted component"
            )
        )
        probes.append(
            InclusionProbe(
                index, size, rt, leaf, [proof[1], proof[0], *proof[2:]], "swapped components"
            )
        )
    return probes


def corrupt_consistency(
    m: int, n: int, root_m: bytes, root_n: bytes, proof: list[bytes]
) -> list[ConsistencyProbe]:
    probes = [
        ConsistencyProbe(m - 1, n, root_m, root_n, proof, "m - 1"),
        ConsistencyProbe(m + 1, n, root_m, root_n, proof, "m + 1"),
        ConsistencyProbe(m ^ 2, n, root_m, root_n, proof, "m ^ 2"),
        ConsistencyProbe(m, n * 2, root_m, root_n, proof, "n * 2"),
        ConsistencyProbe(m, n // 2, root_m, root_n, proof, "n / 2"),
        ConsistencyProbe(n, m, root_n, root_m, proof, "swapped checkpoints"),
        ConsistencyProbe(n, m, root_m, root_n, proof, "swapped sizes"),
        ConsistencyProbe(m, n, root_n, root_m, proof, "swapped roots"),
        ConsistencyProbe(m, n, b"WrongRoot", root_n, proof, "wrong root_m (shape)"),
        ConsistencyProbe(m, n, root_m, b"WrongRoot", proof, "wrong root_n (shape)"),
        ConsistencyProbe(m, n, SOME_HASH, root_n, proof, "wrong root_m"),
        ConsistencyProbe(m, n, root_m, SOME_HASH, proof, "wrong root_n"),
        ConsistencyProbe(m, n, EMPTY_ROOT, root_n, proof, "empty tree root_m"),
        ConsistencyProbe(m, n, root_m, b"", proof, "empty root_n"),
        ConsistencyProbe(m, n, root_m, root_n, [], "empty proof"),
        ConsistencyProbe(m, n, root_m, root_n, [*proof, b""], "trailing garbage"),
        ConsistencyProbe(m, n, root_m, root_n, [*proof, root_m], "trailing root_m"),
        ConsistencyProbe(m, n, root_m, root_n, [*proof, root_n], "trailing root_n"),
        ConsistencyProbe(m, n, root_m, root_n, [b"", *proof], "preceding garbage"),
        ConsistencyProbe(m, n, root_m, root_n, [root_m, *proof], "preceding root_m"),
        ConsistencyProbe(m, n, root_m, root_n, [root_n, *proof], "preceding root_n"),
        ConsistencyProbe(m, n, root_m, root_n, [proof[0], *proof], "preceding proof[0]"),
        ConsistencyProbe(m, n, root_m, root_n, proof[:-1], "truncated proof"),
        ConsistencyProbe(m, n, root_m, root_n, proof[1:], "removed first"),
    ]
    for i in range(len(proof)):
        for bit in (0, 4, 7):
            flipped = _flip(proof, i, bit)
            probes.append(ConsistencyProbe(m, n, root_m, root_n, flipped, f"proof[{i}] bit {bit}"))
    return probes


def assert_inclusion_corruptions_rejected(
    index: int, size: int, proof: list[bytes], rt: bytes, leaf: bytes
) -> None:
    verify_inclusion(leaf, index, size, proof, rt)
    accepted = []
    for p in corrupt_inclusion(index, size, proof, rt, leaf):
        try:
            verify_inclusion(p.leaf, p.index, p.size, p.proof, p.root)
        except ProofError:
            continue
        accepted.append(p.desc)
    assert accepted == [], f"incorrectly verified against: {accepted}"


def assert_consistency_corruptions_rejected(
    m: int, n: int, root_m: bytes, root_n: bytes, proof: list[bytes]
) -> None:
    verify_consistency(m, n, root_m, root_n, proof)
    accepted = []
    for p in corrupt_consistency(m, n, root_m, root_n, proof):
        try:
            verify_consistency(p.m, p.n, p.root_m, p.root_n, p.proof)
        except ProofError:
            continue
        accepted.append(p.desc)
    assert accepted == [], f"incorrectly verified against: {accepted}"


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_PROOFS)
def test_known_inclusion_proofs_reject_every_corruption(
    index: int, size: int, proof: list[bytes]
) -> None:
    assert_inclusion_corruptions_rejected(index, size, proof, ROOTS[size], LEAVES[index])


@pytest.mark.parametrize(("m", "n", "proof"), [p for p in CONSISTENCY_PROOFS if p[2]])
def test_known_consistency_proofs_reject_every_corruption(
    m: int, n: int, proof: list[bytes]
) -> None:
    assert_consistency_corruptions_rejected(m, n, ROOTS[m], ROOTS[n], proof)


def test_every_proof_over_the_test_leaves_rejects_every_corruption() -> None:
    tree = MerkleTree(LEAVES)
    for size in range(1, 9):
        for index in range(size):
            proof = inclusion_proof(index, size, tree)
            assert_inclusion_corruptions_rejected(index, size, proof, ROOTS[size], LEAVES[index])
        for m in range(1, size):
            proof = consistency_proof(m, size, tree)
            assert_consistency_corruptions_rejected(m, size, ROOTS[m], ROOTS[size], proof)


# ---------------------------------------------------------------------------------------------
# Edge cases of verification (transparency-dev TestVerifyInclusionSingleEntry, TestVerify...)
# ---------------------------------------------------------------------------------------------


def test_single_entry_inclusion() -> None:
    hsh = leaf_hash(b"data")
    verify_inclusion(hsh, 0, 1, [], hsh)
    for leaf, rt in ((hsh, b""), (b"", hsh), (b"", b"")):
        with pytest.raises(ProofError):
            verify_inclusion(leaf, 0, 1, [], rt)


@pytest.mark.parametrize(("index", "size"), [(0, 0), (1, 0), (2, 1), (1, 1)])
def test_inclusion_index_outside_tree(index: int, size: int) -> None:
    for leaf, rt in ((SOME_HASH, b""), (b"", EMPTY_ROOT), (SOME_HASH, EMPTY_ROOT)):
        with pytest.raises(ProofError):
            verify_inclusion(leaf, index, size, [], rt)


def test_inclusion_rejects_malformed_arguments() -> None:
    with pytest.raises(ProofError, match="not a non-negative integer"):
        verify_inclusion(LEAVES[0], -1, 1, [], ROOTS[1])
    with pytest.raises(ProofError, match="not a non-negative integer"):
        verify_inclusion(LEAVES[0], False, 1, [], ROOTS[1])
    with pytest.raises(ProofError, match="sequence of hashes"):
        verify_inclusion(LEAVES[0], 0, 2, LEAVES[1], ROOTS[2])  # type: ignore[arg-type]
    with pytest.raises(ProofError, match="proof element 0"):
        verify_inclusion(LEAVES[0], 0, 2, [LEAVES[1].hex()], ROOTS[2])  # type: ignore[list-item]


DONT_CARE_1 = hashlib.sha256(b"don't care 1").digest()
DONT_CARE_2 = hashlib.sha256(b"don't care 2").digest()


@pytest.mark.parametrize(
    ("m", "n", "root_m", "root_n", "proof", "ok"),
    [
        (0, 0, DONT_CARE_1, DONT_CARE_2, [], False),
        (1, 1, DONT_CARE_1, DONT_CARE_2, [], False),
        # Sizes that are always consistent.
        (0, 0, EMPTY_ROOT, EMPTY_ROOT, [], True),
        (0, 1, EMPTY_ROOT, DONT_CARE_2, [], True),
        (1, 1, DONT_CARE_2, DONT_CARE_2, [], True),
        # Stricter than transparency-dev: the empty tree has only one root.
        (0, 0, DONT_CARE_1, DONT_CARE_1, [], False),
        (0, 1, DONT_CARE_1, DONT_CARE_2, [], False),
        # Time travel to the past.
        (1, 0, DONT_CARE_1, DONT_CARE_2, [], False),
        (2, 1, DONT_CARE_1, DONT_CARE_2, [], False),
        # Empty proof.
        (1, 2, DONT_CARE_1, DONT_CARE_2, [], False),
        # Roots don't match.
        (0, 0, EMPTY_ROOT, DONT_CARE_2, [], False),
        (1, 1, EMPTY_ROOT, DONT_CARE_2, [], False),
        # Roots match but the proof is not empty.
        (0, 0, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False),
        (0, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False),
        (1, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False),
    ],
)
def test_consistency_edge_cases(
    m: int, n: int, root_m: bytes, root_n: bytes, proof: list[bytes], ok: bool
) -> None:
    if ok:
        verify_consistency(m, n, root_m, root_n, proof)
    else:
        with pytest.raises(ProofError):
            verify_consistency(m, n, root_m, root_n, proof)


def test_sizes_are_not_bound_by_the_proof_alone() -> None:
    # Known limitation of RFC 9162 verification (hence sizes come from signed checkpoints):
    # the (2, 5) proof walks the same path for a claimed second size of 6.
    _, _, proof = CONSISTENCY_PROOFS[3]
    verify_consistency(2, 6, ROOTS[2], ROOTS[5], proof)


def test_generation_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="not below size"):
        inclusion_proof(3, 3, LEAVES)
    with pytest.raises(ValueError, match="exceeds"):
        inclusion_proof(0, 9, LEAVES)
    with pytest.raises(ValueError, match="exceeds"):
        inclusion_proof(0, 9, MerkleTree(LEAVES))
    with pytest.raises(ValueError, match="larger than"):
        consistency_proof(5, 4, LEAVES)
    with pytest.raises(ValueError, match="non-negative"):
        consistency_proof(-1, 4, LEAVES)
    assert consistency_proof(0, 8, LEAVES) == []
    assert consistency_proof(8, 8, LEAVES) == []


def test_proof_error_carries_reason() -> None:
    with pytest.raises(ProofError) as info:
        verify_inclusion(LEAVES[0], 0, 2, [], ROOTS[2])
    assert info.value.reason == "proof has fewer hashes than the tree size needs"
    assert isinstance(info.value, AuditError)


# ---------------------------------------------------------------------------------------------
# Proof documents
# ---------------------------------------------------------------------------------------------


def test_inclusion_proof_json_round_trip() -> None:
    proof = InclusionProof(5, 8, tuple(INCLUSION_PROOFS[6][2]))
    text = proof.to_json()
    assert text.startswith('{"hashes":["bc1a0643')
    assert text.endswith('"],"leaf_index":5,"tree_size":8}')
    assert InclusionProof.from_json(text) == proof
    assert InclusionProof.from_json(proof.to_dict()) == proof
    proof.verify(LEAVES[5], ROOTS[8])


def test_consistency_proof_json_round_trip() -> None:
    proof = ConsistencyProof(6, 8, tuple(CONSISTENCY_PROOFS[2][2]))
    assert ConsistencyProof.from_json(proof.to_json()) == proof
    proof.verify(ROOTS[6], ROOTS[8])
    with pytest.raises(ProofError):
        proof.verify(ROOTS[8], ROOTS[6])


@pytest.mark.parametrize(
    "document",
    [
        "not json",
        "[]",
        {"leaf_index": 0, "tree_size": 1},
        {"leaf_index": 0, "tree_size": 1, "hashes": "00"},
        {"leaf_index": -1, "tree_size": 1, "hashes": []},
        {"leaf_index": True, "tree_size": 1, "hashes": []},
        {"leaf_index": 0, "tree_size": "1", "hashes": []},
        {"leaf_index": 0, "tree_size": 2, "hashes": ["AB" * 32]},
        {"leaf_index": 0, "tree_size": 2, "hashes": ["ab" * 31]},
        {"leaf_index": 0, "tree_size": 2, "hashes": ["zz" * 32]},
        {"leaf_index": 0, "tree_size": 1, "hashes": [], "root": "00"},
    ],
)
def test_inclusion_proof_json_rejects_malformed(document: object) -> None:
    with pytest.raises(ProofError):
        InclusionProof.from_json(document)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------

MAX_N = 300


@st.composite
def size_and_index(draw: st.DrawFn) -> tuple[int, int]:
    n = draw(st.integers(1, MAX_N))
    return n, draw(st.integers(0, n - 1))


@st.composite
def two_sizes(draw: st.DrawFn) -> tuple[int, int]:
    n = draw(st.integers(0, MAX_N))
    return draw(st.integers(0, n)), n


def test_exhaustive_small_trees_match_the_reference() -> None:
    for n in range(1, 34):
        leaves = make_leaves(n)
        tree = MerkleTree(leaves)
        rt = ref_mth(leaves)
        for i in range(n):
            proof = inclusion_proof(i, n, tree)
            assert proof == ref_path(i, leaves)
            verify_inclusion(leaves[i], i, n, proof, rt)
        for m in range(n + 1):
            proof = consistency_proof(m, n, tree)
            assert proof == ref_proof(m, leaves)
            verify_consistency(m, n, ref_mth(leaves[:m]), rt, proof)


@given(size_and_index(), st.binary(max_size=4))
@example((MAX_N, MAX_N - 1), b"")
@example((257, 128), b"x")
@example((256, 255), b"")
def test_generated_inclusion_proofs_verify(ni: tuple[int, int], salt: bytes) -> None:
    n, i = ni
    leaves = make_leaves(n, salt)
    rt = ref_mth(leaves)
    proof = inclusion_proof(i, n, leaves)
    assert proof == ref_path(i, leaves)
    assert inclusion_proof(i, n, MerkleTree(leaves)) == proof
    assert inclusion_proof(i, n, leaves.__getitem__) == proof
    verify_inclusion(leaves[i], i, n, proof, rt)


@given(two_sizes(), st.binary(max_size=4))
@example((MAX_N - 1, MAX_N), b"")
@example((128, 257), b"x")
@example((129, 256), b"")
def test_generated_consistency_proofs_verify(mn: tuple[int, int], salt: bytes) -> None:
    m, n = mn
    leaves = make_leaves(n, salt)
    proof = consistency_proof(m, n, leaves)
    assert proof == ref_proof(m, leaves)
    assert consistency_proof(m, n, MerkleTree(leaves)) == proof
    verify_consistency(m, n, ref_mth(leaves[:m]), ref_mth(leaves), proof)


@given(st.integers(0, MAX_N), st.integers(0, MAX_N), st.binary(max_size=4))
@example(MAX_N, 129, b"")
def test_accumulator_root_equals_recursive_root(n: int, cut: int, salt: bytes) -> None:
    leaves = make_leaves(n, salt)
    acc = MerkleAccumulator()
    acc.extend(leaves[: min(cut, n)])
    resumed = MerkleAccumulator.from_state(acc.size, acc.hashes)
    resumed.extend(leaves[min(cut, n) :])
    assert resumed.root() == ref_mth(leaves) == root(leaves)


@settings(max_examples=30)
@given(st.integers(0, 70))
def test_tree_roots_of_every_prefix(n: int) -> None:
    leaves = make_leaves(n)
    tree = MerkleTree(leaves)
    for size in range(n + 1):
        assert tree.root(size) == ref_mth(leaves[:size])


@given(size_and_index(), st.data())
def test_any_flipped_bit_is_rejected(ni: tuple[int, int], data: st.DataObject) -> None:
    n, i = ni
    leaves = make_leaves(n)
    proof = inclusion_proof(i, n, leaves)
    rt = root(leaves)
    if not proof:
        return
    element = data.draw(st.integers(0, len(proof) - 1))
    bit = data.draw(st.integers(0, 255))
    corrupted = list(proof)
    raw = bytearray(corrupted[element])
    raw[bit // 8] ^= 1 << (bit % 8)
    corrupted[element] = bytes(raw)
    with pytest.raises(ProofError):
        verify_inclusion(leaves[i], i, n, corrupted, rt)


@given(st.integers(2, MAX_N), st.data())
def test_consistency_with_other_sizes_is_rejected(n: int, data: st.DataObject) -> None:
    m = data.draw(st.integers(1, n - 1))
    other = data.draw(st.integers(1, n - 1).filter(lambda x: x != m))
    leaves = make_leaves(n)
    proof = consistency_proof(m, n, leaves)
    with pytest.raises(ProofError):
        verify_consistency(other, n, root(leaves[:m]), root(leaves), proof)
    with pytest.raises(ProofError):
        verify_consistency(n, m, root(leaves), root(leaves[:m]), proof)


def _leaf_fn(leaves: list[bytes]) -> Callable[[int], bytes]:
    calls: list[int] = []

    def get(i: int) -> bytes:
        calls.append(i)
        return leaves[i]

    get.calls = calls  # type: ignore[attr-defined]
    return get


def test_callable_source_reads_each_needed_leaf_once() -> None:
    leaves = make_leaves(1000)
    get = _leaf_fn(leaves)
    proof = inclusion_proof(417, 1000, get)
    verify_inclusion(leaves[417], 417, 1000, proof, root(leaves))
    calls = get.calls  # type: ignore[attr-defined]
    assert sorted(calls) == [i for i in range(1000) if i != 417]
