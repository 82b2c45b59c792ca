"""`python -m kneeviz` is the `kneeviz` command."""

from kneeviz.cli import main

raise SystemExit(main())
