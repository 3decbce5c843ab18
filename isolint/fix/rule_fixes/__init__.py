"""Fixes of individual findings, as text edits (one module per kind of fix)."""
