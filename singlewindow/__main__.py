"""``python -m singlewindow``: the same command line as the ``singlewindow`` script."""

from singlewindow.cli import main

main()
