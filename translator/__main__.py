"""`python -m translator` runs the np2calico command line."""

from translator.cli import main

main()
