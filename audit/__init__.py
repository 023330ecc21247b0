"""Immutable, verifiable audit trail of claim decisions.

DB-free (an auditor needs only these and ``cryptography``):

- ``canonical``: RFC 8785 canonical JSON, the only form anything is hashed in;
- ``chain``: the entry-hash definition, the event document, the verify walk;
- ``merkle``: RFC 6962/9162 trees, inclusion and consistency proofs;
- ``checkpoint``: C2SP signed-note checkpoints with Ed25519 keys;
- ``verifier`` and ``bundle``: verifying one event, an export bundle or a consistency proof;
- ``errors``, ``config`` (``AuditConfig``, built by ``api`` from settings).

With the database (SQLModel over SQLAlchemy 2; SQLite by default, PostgreSQL in production):

- ``models`` (tables), ``db`` (engines, migrations in ``migrations/``), ``store``
  (serialized appends, reads, ruleset snapshots), ``checkpoints`` (signed checkpoints,
  proofs), ``verification`` (verify the stored trail), ``replay`` (record and replay
  decisions), ``snapshot`` (content-addressed ruleset source), ``export`` (one claim's
  events with proofs).

Layering: may import ``engine``; never ``llm_assist`` nor ``api`` (enforced by
``tests/test_layering.py``). Reads no environment variables.
"""
