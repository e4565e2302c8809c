"""`python -m bot.cli` runs the command line as `appease` does (no console script needed)."""

from bot.cli import main

main()
