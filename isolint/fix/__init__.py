"""Rewriting code: the edits of rule fixes and codemods, applied safely.

``rule_fixes/`` turns findings into edits, ``codemods/`` holds whole-project rewrites
(``migrate_context``), and the writer applies either only when the result re-parses, the
file is unchanged on disk since it was read, and the write can be atomic.
"""
