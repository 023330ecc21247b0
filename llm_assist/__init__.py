"""LLM assistant for adjusters and members (LangChain).

Will hold PII redaction (nothing personal is ever sent to a model), prompts, model providers,
the grounding guard that validates a draft against the decision trace, and the drafting of
adjuster review notes and member-rights reminders. It only drafts: it never makes or changes
a decision, and each draft is audited as its own event by the caller.

Layering: may import ``engine``; never ``audit`` nor ``api`` (enforced by
``tests/test_layering.py``).
"""
