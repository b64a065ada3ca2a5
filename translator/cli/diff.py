"""The `diff` command(s)."""
