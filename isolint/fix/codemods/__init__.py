"""Whole-project codemods run by ``isolint fix --codemod NAME`` (only when named)."""
