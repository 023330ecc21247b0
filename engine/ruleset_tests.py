"""Placeholder replaced by the ruleset test runner."""
