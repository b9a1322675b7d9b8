"""`python -m image_updater` runs the command line."""

from image_updater.cli.main import main

main()
