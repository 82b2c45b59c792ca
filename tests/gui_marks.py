"""The marks every test of the Qt window carries: it needs an X server."""

from __future__ import annotations

import os

import pytest

GUI_MARKS = [
    pytest.mark.gui,
    pytest.mark.skipif(
        not os.environ.get("DISPLAY"),
        reason="the Qt 3D view needs an X server: run under xvfb-run (make test does)",
    ),
]
