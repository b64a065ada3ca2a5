"""The `convert` command(s)."""
