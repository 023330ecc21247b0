"""The service's routers: claims (staff), unmask (supervisors), members (``/me``), audit, ops."""
