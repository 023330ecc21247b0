"""LLM assistant for adjusters and members (LangChain): it drafts, the rules decide.

Modules (one noun each)::

    config.py      AssistConfig: provider, model, base_url, timeouts, retries (plain object)
    errors.py      AssistError hierarchy
    note.py        ReviewNote: the structured draft a model (or the template) must produce
    redaction/     Redactor: personal data -> stable placeholders ([ID_1]) before any prompt
    rights/        the member-rights knowledge base (rulesets/rights/) and its selection
    context.py     DraftContext: the redacted decision, trace, selected rights and free text
    template.py    the deterministic drafter (the ``template`` provider, and the fallback)
    guard/         the grounding guard: a draft is checked against the decision, never trusted
                   (wording, quantities, topics, scopes)
    prompts.py     chat messages: instructions, then data blocks that are data, not orders
    providers.py   LangChain chat models for ``openai`` (any compatible base_url) and ``ollama``
    drafting.py    redact -> prompt -> model -> parse -> guard -> retry once -> fallback

A draft never makes or changes a decision: the decision is an input, the note echoes it,
and the guard rejects any note that contradicts it. Each draft is audited as its own event
(``review_note``) by the caller (:mod:`api`).

Layering: may import ``engine``; never ``audit`` nor ``api`` (enforced by
``tests/test_layering.py``).
"""
