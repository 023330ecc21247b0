"""Wiring layer: the only place where the parts meet.

Will hold the FastAPI app (adjuster HTTP API), authentication and roles, the member claim
status explainer pages, and the ``claims`` command-line tool (``api.cli:main``) used by rule
authors and CI.

Layering: may import ``engine``, ``audit`` and ``llm_assist``; nothing imports ``api``
(enforced by ``tests/test_layering.py``).
"""
