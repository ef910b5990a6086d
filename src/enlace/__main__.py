"""`python -m enlace` runs the command line."""

from enlace.cli.app import main

main()
