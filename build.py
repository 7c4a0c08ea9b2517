"""Build this repository's demo archive: ``python build.py`` (content/ + templates/ -> output/).

``python build.py ARGS`` takes the same arguments as the ``masthead`` command.
"""

import sys
from pathlib import Path

from masthead.cli import main

if __name__ == "__main__":
    arguments = sys.argv[1:] or ["build", "--site", str(Path(__file__).resolve().parent)]
    sys.exit(main(arguments))
