"""The typed answers of the service, one module per area, as the OpenAPI document states them.

=================  ===========================================================================
``claims``         a stored claim (masked), a timeline event added, a member's claims
``decisions``      an evaluation (the engine's ``Decision``), the decision history
``sla``            the breached and due-soon clocks of ``GET /sla/breaches``
``notes``          review notes (the assistant's ``ReviewNote`` with its audit record)
``explanations``   the member's explanation of a claim
``audit``          audit events, inclusion proofs, checkpoints, the verifier key
``ops``            health and ruleset answers
=================  ===========================================================================

Every model forbids extra members: an answer with a member its model does not state fails
(a 500 under ``response_model``, a failed test in ``tests/api/test_openapi.py`` where the
answer is documented only, as for the evaluation's pre-encoded bytes). The request bodies
are the engine's :class:`~engine.claim.Claim` (documented, parsed by the engine itself so
its field-path errors are kept) and the routes' own pydantic models.
"""
