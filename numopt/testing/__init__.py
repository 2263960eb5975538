"""Helpers for testing numopt against other libraries' own test suites (not imported by ``numopt``)."""
