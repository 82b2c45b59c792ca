"""The bundle's entry point: the same `kneeviz` command as the installed console script."""

import multiprocessing

from kneeviz.cli import entry

if __name__ == "__main__":
    multiprocessing.freeze_support()
    entry()
