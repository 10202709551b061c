"""Sub-commands of the `cascade` CLI, one module each."""
