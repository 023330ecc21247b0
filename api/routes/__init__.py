"""The service's routers: claims (staff), members (``/me``), audit, ops."""
