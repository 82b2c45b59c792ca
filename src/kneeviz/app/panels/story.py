"""Story mode: a guided sequence for patients, in plain words with no numbers.

Five steps walk from the groove to the mechanism and back to the remedy. Each step names the
squat to show (a preset), the camera, the overlays, whether the pressure colours and the
see-through kneecap are on, and whether the squat plays or rests at a knee angle. The steps are
data (STEPS); StoryController walks them and applies each to a StoryTarget (the window's clinical
views implement it); StoryPanel is the large-caption panel with Back / Next / Play story.

The steps themselves (their words and what each shows) are data in kneeviz.story_steps, the one
home of the story's words, which the take-home report and page print too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from PyQt6.QtCore import QObject, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QFont
from PyQt6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from kneeviz.story_steps import STEPS, StoryStep

__all__ = ["AUTOPLAY_STEP_MS", "STEPS", "StoryController", "StoryPanel", "StoryStep",
           "StoryTarget"]

AUTOPLAY_STEP_MS = 12000
"""How long autoplay stays on a step: enough to read two sentences and watch one squat."""


class StoryTarget(Protocol):
    """What a story step drives (the window's clinical views)."""

    def story_apply(self, step: StoryStep) -> None: ...

    def story_started(self, on: bool) -> None: ...

    def story_when_ready(self, fn: Callable[[], None]) -> None:
        """Call fn once the step just applied is on screen (its words wait for it)."""
        ...


class StoryController(QObject):
    """Walks STEPS: next / back / go_to, autoplay; applies each step to the target. A step's words
    go up (step_changed) once the target has its picture on screen (story_when_ready), not
    before: words describing a picture still being set up read as wrong."""

    step_started = pyqtSignal(int)
    """A step was asked for: its picture is being set up."""
    step_changed = pyqtSignal(int)
    """A step's picture is on screen: its words go up."""
    active_changed = pyqtSignal(bool)

    def __init__(self, target: StoryTarget, steps: tuple[StoryStep, ...] = STEPS,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.target = target
        self.steps = steps
        self.index = 0
        self.active = False
        self.timer = QTimer(self)
        self.timer.setInterval(AUTOPLAY_STEP_MS)
        self.timer.timeout.connect(self._auto_next)

    @property
    def step(self) -> StoryStep:
        return self.steps[self.index]

    @property
    def autoplaying(self) -> bool:
        return self.timer.isActive()

    def start(self) -> None:
        if not self.active:
            self.active = True
            self.target.story_started(True)
            self.active_changed.emit(True)
        self.go_to(0)

    def stop(self) -> None:
        self.timer.stop()
        if self.active:
            self.active = False
            self.target.story_started(False)
            self.active_changed.emit(False)

    def go_to(self, i: int) -> None:
        self.index = k = max(0, min(int(i), len(self.steps) - 1))
        self.step_started.emit(k)
        self.target.story_apply(self.step)
        self.target.story_when_ready(lambda: self._ready(k))

    def _ready(self, k: int) -> None:
        if k == self.index:
            self.step_changed.emit(k)

    def next(self) -> None:
        if self.index < len(self.steps) - 1:
            self.go_to(self.index + 1)

    def back(self) -> None:
        if self.index > 0:
            self.go_to(self.index - 1)

    def set_autoplay(self, on: bool) -> None:
        if on:
            self.timer.start()
        else:
            self.timer.stop()

    def _auto_next(self) -> None:
        if self.index < len(self.steps) - 1:
            self.next()
        else:
            self.timer.stop()


class StoryPanel(QWidget):
    """Large plain-language caption and the story's buttons."""

    def __init__(self, controller: StoryController, side_widget: QWidget | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.side_widget = side_widget
        self.setObjectName("story-panel")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(
            "#story-panel { background: #15181d; }"
            "#story-panel QLabel { color: #f2f2f2; background: transparent; }"
            "#story-panel QPushButton { font-size: 16pt; padding: 6px 18px; }"
        )
        lay = QVBoxLayout(self)
        lay.setContentsMargins(18, 10, 18, 10)
        self.title = QLabel()
        f = QFont(self.font())
        f.setPointSize(24)
        f.setBold(True)
        self.title.setFont(f)
        self.caption = QLabel()
        f2 = QFont(self.font())
        f2.setPointSize(18)
        self.caption.setFont(f2)
        self.caption.setWordWrap(True)
        self.caption.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        row = QHBoxLayout()
        self.back_button = QPushButton("\u25c0  Back")
        self.next_button = QPushButton("Next  \u25b6")
        self.play_button = QPushButton("Play story")
        self.play_button.setCheckable(True)
        self.exit_button = QPushButton("Exit story")
        self.position = QLabel()
        f3 = QFont(self.font())
        f3.setPointSize(14)
        self.position.setFont(f3)
        row.addWidget(self.back_button)
        row.addWidget(self.next_button)
        row.addWidget(self.play_button)
        row.addStretch(1)
        row.addWidget(self.position)
        row.addWidget(self.exit_button)
        text = QVBoxLayout()
        text.addWidget(self.title)
        text.addWidget(self.caption, 1)
        text.addLayout(row)
        top = QHBoxLayout()
        top.addLayout(text, 2)
        if side_widget is not None:
            # the pictures a step shows (the cut, the underside): most of the width they need
            side_widget.setMinimumSize(300, 260)
            side_widget.hide()
            top.addWidget(side_widget, 3)
        lay.addLayout(top)
        self.back_button.clicked.connect(controller.back)
        self.next_button.clicked.connect(controller.next)
        self.play_button.toggled.connect(self._on_play)
        self.exit_button.clicked.connect(controller.stop)
        controller.step_started.connect(self._setting_up)
        controller.step_changed.connect(self._show)
        controller.timer.timeout.connect(self._sync_play)
        self._show(controller.index)

    def _on_play(self, on: bool) -> None:
        self.controller.set_autoplay(on)
        self.play_button.setText("Pause story" if on else "Play story")

    def _sync_play(self) -> None:
        if not self.controller.autoplaying and self.play_button.isChecked():
            self.play_button.setChecked(False)

    def _setting_up(self, i: int) -> None:
        """A step's picture is being set up: its title and buttons now, its words once the
        picture is there (_show)."""
        step = self.controller.steps[i]
        self.title.setText(step.title)
        self.caption.setText("")
        n = len(self.controller.steps)
        self.position.setText(f"Step {i + 1} of {n}")
        self.back_button.setEnabled(i > 0)
        self.next_button.setEnabled(i < n - 1)

    def _show(self, i: int) -> None:
        self._setting_up(i)
        self.caption.setText(self.controller.steps[i].text)
