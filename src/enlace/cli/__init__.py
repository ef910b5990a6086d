"""The `enlace` command line: thin commands over the same services the web uses."""
