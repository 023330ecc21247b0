"""The claim's life in the service: the projection table, the audited writes, the rebuild.

Every change to a claim (intake, amendment, document, timeline event, void, decision,
override, approval, payment, appeal) is one call of :meth:`ClaimLife.write`: in one database
transaction it locks the claim's ``claim_state`` row, admits the change with
:func:`engine.lifecycle.admit` (a refusal raises a typed error, which :mod:`api.errors` maps
to a problem, and nothing is written), appends the admitted events to the
audit trail as ``life.<kind>`` events, stores the state folded from exactly those stored
events, and rewrites the claim's ``claim_record`` body and SLA index rows from it. So the
projection, the trail and the working copy commit together or not at all.

==============  ===========================================================================
``trail``       the ``life.*`` audit events: append inside a session, read back as events
``store``       the ``claim_state`` rows: read, lock, put; rebuild from the trail and compare
``writer``      :class:`ClaimLife`: the one write path
``views``       what the views read: the claim with its state, the member explanation
``schemas``     request and response models of the endpoints (OpenAPI examples)
``operations``  each change to a claim as one write (what the endpoints call)
==============  ===========================================================================
"""
