"""Front ends over the core: the MkDocs plugin, `policy export` for any engine, and the `policy` CLI."""
