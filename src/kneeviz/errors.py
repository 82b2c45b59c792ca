"""The one exception type for errors a user can cause (a bad file, an impossible value).

Its message names the file or value and says what to do; the CLI prints it on one line and exits 2,
the app shows it in a dialog. Programming errors stay ordinary exceptions.
"""

from __future__ import annotations

from pathlib import Path


class KneevizError(Exception):
    """A problem the user can fix: the message names the file or value and what to do."""

    def __init__(self, message: str, path: str | Path | None = None) -> None:
        self.path = None if path is None else str(path)
        self.problem = message
        super().__init__(f"{self.path}: {message}" if self.path else message)


class MeshError(KneevizError):
    """A mesh file that cannot be used (unreadable, empty, not a surface, wrong bone...)."""
