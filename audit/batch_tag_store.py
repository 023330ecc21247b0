"""Batch tags in the database: writing a batch's tag, reading the tags a walk needs, adoption.

The tag itself (what is authenticated, the key, the walk that checks coverage) is in the
DB-free :mod:`audit.batch_tags`. Every function here runs on a connection inside the
caller's transaction; writers hold the append lock (:mod:`audit.store`).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence

from sqlalchemy import Connection, Row, select

from audit.batch_tags import BatchKey, StoredBatchTag, TagKind, TagWalk
from audit.models import BATCH_TAGS, EVENTS
from audit.transactions import now_text

__all__ = ["first_tag", "insert_tag", "tag_walk", "tags_from"]


def _tag(row: Row[tuple[object, ...]]) -> StoredBatchTag:
    m = row._mapping
    return StoredBatchTag(
        first_seq=int(str(m["first_seq"])),
        last_seq=int(str(m["last_seq"])),
        kind=str(m["kind"]),
        key_id=str(m["key_id"]),
        tag=str(m["tag"]),
        created_at=str(m["created_at"]),
    )


def insert_tag(
    conn: Connection,
    *,
    first_seq: int,
    entry_hashes: Sequence[str],
    key: BatchKey,
    origin: str,
    kind: TagKind = "batch",
) -> StoredBatchTag:
    """Tag events ``first_seq..`` (their ``entry_hashes``) and store the tag."""
    tag = StoredBatchTag(
        first_seq=first_seq,
        last_seq=first_seq + len(entry_hashes) - 1,
        kind=kind,
        key_id=key.key_id,
        tag=key.tag(origin, first_seq, entry_hashes),
        created_at=now_text(),
    )
    conn.execute(
        BATCH_TAGS.insert().values(
            first_seq=tag.first_seq,
            last_seq=tag.last_seq,
            kind=tag.kind,
            key_id=tag.key_id,
            tag=tag.tag,
            created_at=tag.created_at,
        )
    )
    return tag


def first_tag(conn: Connection) -> StoredBatchTag | None:
    """The tag with the smallest ``last_seq`` (it bounds the legacy prefix), or ``None``."""
    row = conn.execute(select(BATCH_TAGS).order_by(BATCH_TAGS.c.last_seq).limit(1)).first()
    return None if row is None else _tag(row)


def tags_from(
    conn: Connection, start_seq: int, end_seq: int | None = None, *, page: int = 2000
) -> Iterator[StoredBatchTag]:
    """Tags ending at or after ``start_seq`` (and starting at or before ``end_seq``), in
    ``last_seq`` order, read in keyset pages."""
    after = start_seq - 1
    while True:
        query = select(BATCH_TAGS).where(BATCH_TAGS.c.last_seq > after)
        if end_seq is not None:
            query = query.where(BATCH_TAGS.c.first_seq <= end_seq)
        rows = conn.execute(query.order_by(BATCH_TAGS.c.last_seq).limit(page)).all()
        for row in rows:
            yield _tag(row)
        if len(rows) < page:
            return
        after = int(str(rows[-1]._mapping["last_seq"]))


def tag_walk(
    conn: Connection,
    *,
    start_seq: int,
    key: BatchKey | None,
    origin: str,
    end_seq: int | None = None,
) -> TagWalk:
    """The :class:`TagWalk` of a walk over events ``start_seq..end_seq`` (to the head)."""
    first = first_tag(conn)
    tags = tags_from(conn, start_seq, end_seq)
    covering = next(tags, None)
    carry: list[str] = []
    if covering is not None and covering.first_seq < start_seq:
        carry = [
            str(h)
            for h in conn.execute(
                select(EVENTS.c.entry_hash)
                .where(EVENTS.c.seq >= covering.first_seq, EVENTS.c.seq < start_seq)
                .order_by(EVENTS.c.seq)
            ).scalars()
        ]
    return TagWalk(
        itertools.chain([covering] if covering is not None else [], tags),
        key=key,
        origin=origin,
        legacy_end=None if first is None else first.first_seq - 1,
        adopted=first is not None and first.kind == "adoption",
        start_seq=start_seq,
        carry=carry,
    )
