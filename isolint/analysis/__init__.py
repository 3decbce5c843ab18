"""Per-module analysis: one libcst parse and one walk per file, producing ``ModuleFacts``."""
