"""``python -m backcare`` runs the command-line interface."""

from backcare.cli import main

main()
