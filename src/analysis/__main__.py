"""``python -m analysis``: the same command-line interface as ``analysis``."""

from analysis.cli import main

main()
