"""Run the dmkg command line as `python -m dmkg_cli`."""

from dmkg_cli.commands import main

main()
