"""LLM assistant for adjusters and members (LangChain): it drafts, the rules decide.

Modules (one noun each)::

    config.py      AssistConfig: provider, model, base_url, timeouts, retries (plain object)
    errors.py      AssistError hierarchy
    note.py        NoteDraft (what a model or the template writes: text with slots) and
                   ReviewNote (what an adjuster reads, rendered by the system)
    slots/         the typed slots ({outcome}, {payable}, {line:2.payable}, {due_date:CLOCK}...)
                   and the system's wording of them
    redaction/     Redactor: personal data -> stable placeholders ([ID_1]) before any prompt
                   (names also in pinyin)
    rights/        the member-rights knowledge base (rulesets/rights/) and its selection
    context.py     DraftContext: the redacted decision, trace, selected rights and free text
    template.py    the deterministic drafter (the ``template`` provider, and the fallback)
    guard/         the grounding guard: a draft is checked against the decision, never trusted
                   (numbers, word families, personal data, topics, citations)
    rendering.py   a checked draft -> the ReviewNote (slots, statements, reminders filled in)
    prompts.py     chat messages: instructions, then data blocks that are data, not orders
    providers.py   LangChain chat models for ``openai`` (any compatible base_url) and ``ollama``
    drafting.py    redact -> prompt -> model -> parse -> guard -> retry once -> fallback

A draft never makes or changes a decision: the decision is an input, the note echoes it,
and a model never states a case fact in its own words (the guard rejects any draft that
tries). Each draft is audited as its own event
(``review_note``) by the caller (:mod:`api`).

Layering: may import ``engine``; never ``audit`` nor ``api`` (enforced by
``tests/test_layering.py``).
"""
