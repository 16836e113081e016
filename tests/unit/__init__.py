"""Unit tests of the stack plan: validation, derived settings, expectations, check CLI."""
