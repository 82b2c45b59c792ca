"""`python -m kneeviz` is the `kneeviz` command."""

from kneeviz.cli import entry

entry()
