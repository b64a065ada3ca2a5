"""The `live` command(s)."""
