"""The `validate` command(s)."""
