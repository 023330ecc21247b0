"""Immutable, verifiable audit trail of claim decisions.

Will hold the append-only, hash-chained event store (SQLModel over SQLAlchemy 2; SQLite by
default, PostgreSQL in production via ``CLAIMS_DATABASE_URL``, Alembic migrations), canonical
JSON encoding, signed Merkle checkpoints, inclusion/consistency proofs, ``verify`` (tamper
detection) and ``replay`` (re-run an audited decision and check it is byte-identical).

Layering: may import ``engine``; never ``llm_assist`` nor ``api`` (enforced by
``tests/test_layering.py``).
"""
