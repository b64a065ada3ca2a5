"""The model ring: frozen dataclasses and enums, no I/O."""
