"""The `explain` command(s)."""
