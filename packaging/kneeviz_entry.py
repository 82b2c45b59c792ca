"""The bundle's entry point: the same `kneeviz` command as the installed console script."""

import multiprocessing
import sys

from kneeviz.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())
