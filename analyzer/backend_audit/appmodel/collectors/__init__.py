"""Fact collectors: visitors that record app-wide facts for the project phase."""
