"""Helpers shared by the unit and end-to-end tests (one home for them)."""
