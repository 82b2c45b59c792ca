"""The control panel (hip control, presets, camera) and the timeline (play, scrub, speed, loop)."""

from __future__ import annotations

from PyQt6.QtCore import Qt, QTimer, pyqtSignal
from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from kneeviz.app.playback import SPEEDS, Playback
from kneeviz.app.session import Session
from kneeviz.app.throttle import Throttle
from kneeviz.parameter import Parameter
from kneeviz.scenario import PARAMETERS, PRESETS

PRESET_LABELS = {"healthy": "Healthy", "pfp": "Typical PFP", "severe": "Severe"}
CAMERA_LABELS = {"front": "Front", "side": "Side", "closeup": "Knee close-up",
                 "whole-leg": "Whole leg", "skyline": "Skyline"}
DEBOUNCE_MS = 10
"""A slider drag emits a value per pixel: the first change is applied at once (so the moved slider
and the re-posed bones reach the screen in one window composition), later ones at most every
DEBOUNCE_MS, the last one always."""
REST_MS = 200
"""While a hip slider moves only the bones are re-posed; the squat is solved once it has rested
this long (or is released): solving every value of a drag kept both cores busy with solves that
were superseded a few frames in."""


class HipControls(QGroupBox):
    """Sliders for the hip-driven femoral motion and the preset buttons."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__("Hip control", parent)
        self.session = session
        grid = QGridLayout(self)
        self.rotation = self._slider(PARAMETERS["femoral_internal_rotation_deg"])
        self.adduction = self._slider(PARAMETERS["hip_adduction_deg"])
        self.rotation_label = QLabel()
        self.adduction_label = QLabel()
        grid.addWidget(QLabel("Thigh turns inward\n(femoral internal rotation)"), 0, 0, 1, 2)
        grid.addWidget(self.rotation, 1, 0)
        grid.addWidget(self.rotation_label, 1, 1)
        grid.addWidget(QLabel("Knee drops inward\n(hip adduction)"), 2, 0, 1, 2)
        grid.addWidget(self.adduction, 3, 0)
        grid.addWidget(self.adduction_label, 3, 1)
        row = QHBoxLayout()
        self.preset_buttons: dict[str, QPushButton] = {}
        for name in PRESETS:
            b = QPushButton(PRESET_LABELS.get(name, name))
            b.setCheckable(True)
            b.setObjectName(f"preset-{name}")
            b.clicked.connect(lambda _c=False, n=name: self.apply_preset(n))
            row.addWidget(b)
            self.preset_buttons[name] = b
        grid.addLayout(row, 4, 0, 1, 2)
        self.status = QLabel("")
        self.status.setStyleSheet("color: #d9a441;")
        grid.addWidget(self.status, 5, 0, 1, 2)
        self._debounce = Throttle(lambda _i: self._commit(), self, trailing=True)
        self._debounce.set_interval(DEBOUNCE_MS)
        self._rest = QTimer(self)
        self._rest.setSingleShot(True)
        self._rest.setInterval(REST_MS)
        self._rest.timeout.connect(self._solve)
        for s in (self.rotation, self.adduction):
            s.valueChanged.connect(self._on_slider)
            s.sliderReleased.connect(self._solve)
        session.scenario_changed.connect(self._sync)
        self._sync()

    @staticmethod
    def _slider(p: Parameter) -> QSlider:
        s = QSlider(Qt.Orientation.Horizontal)
        s.setRange(int(p.low), int(p.high))
        s.setPageStep(2)
        s.setTickInterval(5)
        s.setTickPosition(QSlider.TickPosition.TicksBelow)
        s.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        return s

    def _sync(self) -> None:
        """Show the session's scenario (set elsewhere, e.g. by a preset) without re-triggering."""
        sc = self.session.scenario
        for s, v in ((self.rotation, sc.femoral_internal_rotation_deg),
                     (self.adduction, sc.hip_adduction_deg)):
            s.blockSignals(True)
            s.setValue(int(round(v)))
            s.blockSignals(False)
        self._labels()
        for name, b in self.preset_buttons.items():
            b.setChecked(sc.preset == name)

    def _labels(self) -> None:
        self.rotation_label.setText(f"{self.rotation.value():+d} deg")
        self.adduction_label.setText(f"{self.adduction.value():+d} deg")

    def _on_slider(self) -> None:
        self._labels()
        self._rest.start()
        self._debounce.call(0)

    def _commit(self, solve: bool = False) -> None:
        self.session.set_scenario(
            self.session.scenario_with_hip(self.rotation.value(), self.adduction.value()),
            solve=solve,
        )

    def _solve(self) -> None:
        """The slider rested or was released: solve the setting it shows."""
        self._rest.stop()
        self._commit(solve=True)

    def set_hip(self, internal_rotation_deg: int, adduction_deg: int) -> None:
        """Move both sliders (as a user would) and re-solve at once."""
        self.rotation.blockSignals(True)
        self.rotation.setValue(internal_rotation_deg)
        self.rotation.blockSignals(False)
        self.adduction.blockSignals(True)
        self.adduction.setValue(adduction_deg)
        self.adduction.blockSignals(False)
        self._labels()
        self._rest.stop()
        self._commit(solve=True)

    def apply_preset(self, name: str) -> None:
        self.session.set_scenario(self.session.scenario_for_preset(name))


class CameraControls(QGroupBox):
    camera_requested = pyqtSignal(str)
    follow_toggled = pyqtSignal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("View", parent)
        grid = QGridLayout(self)
        self.buttons: dict[str, QPushButton] = {}
        for k, (name, label) in enumerate(CAMERA_LABELS.items()):
            b = QPushButton(label)
            b.clicked.connect(lambda _c=False, n=name: self.camera_requested.emit(n))
            grid.addWidget(b, k // 2, k % 2)
            self.buttons[name] = b
        self.follow = QCheckBox("Follow the knee")
        self.follow.setChecked(True)  # the knee travels ~20 cm in a deep squat: keep it in view
        self.follow.toggled.connect(self.follow_toggled.emit)
        grid.addWidget(self.follow, 3, 0, 1, 2)


class Timeline(QWidget):
    """Play/pause, the scrub bar, speed and loop."""

    def __init__(self, session: Session, playback: Playback, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.playback = playback
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 2, 6, 2)
        self.play_button = QPushButton("Play")
        self.play_button.setFixedWidth(80)
        self.play_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.play_button.clicked.connect(playback.toggle)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.slider.valueChanged.connect(self._on_scrub)
        self.label = QLabel("")
        self.label.setMinimumWidth(170)
        self.speed = QComboBox()
        self.speed.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for s in SPEEDS:
            self.speed.addItem(f"{s:g}x", s)
        self.speed.setCurrentIndex(SPEEDS.index(1.0))
        self.speed.currentIndexChanged.connect(
            lambda _i: playback.set_speed(float(self.speed.currentData()))
        )
        self.loop = QCheckBox("Loop")
        self.loop.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.loop.setChecked(playback.loop)
        self.loop.toggled.connect(lambda on: setattr(playback, "loop", on))
        for w in (self.play_button, self.slider, self.label, QLabel("Speed"), self.speed,
                  self.loop):
            row.addWidget(w)
        row.setStretch(1, 1)
        playback.playing_changed.connect(
            lambda on: self.play_button.setText("Pause" if on else "Play")
        )
        session.view_changed.connect(self._on_view)
        self.throttle = Throttle(self._on_frame, self)
        session.frame_changed.connect(self.throttle.call)

    def _on_view(self) -> None:
        view = self.session.view
        if view is not None:
            self.slider.blockSignals(True)
            self.slider.setRange(0, view.n_frames - 1)
            self.slider.blockSignals(False)

    def _on_frame(self, i: int) -> None:
        self.slider.blockSignals(True)
        self.slider.setValue(i)
        self.slider.blockSignals(False)
        view = self.session.view
        if view is not None:
            self.label.setText(
                f"{view.time_s[i]:.2f} s / {view.duration_s:.1f} s   "
                f"{view.value('knee_flexion_deg', i):.0f} deg"
            )

    def _on_scrub(self, value: int) -> None:
        self.playback.pause()
        self.session.set_frame(value)


class ControlPanel(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.hip = HipControls(session)
        self.camera = CameraControls()
        layout.addWidget(self.hip)
        layout.addWidget(self.camera)
