"""The control panel (hip control, presets), the camera bar over the 3D view and the timeline
(play, scrub, speed, loop)."""

from __future__ import annotations

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from kneeviz.app.panels.parameter_controls import ParameterSliders, declared_controls
from kneeviz.app.state.playback import SPEEDS, Playback
from kneeviz.app.state.session import Session
from kneeviz.app.support.throttle import Throttle
from kneeviz.parameter import HIP_GROUP, WHAT_IF_GROUP
from kneeviz.scenario import HIP_PARAMETERS, PRESET_LABELS, PRESETS, parameters_of
from kneeviz.view_state import CAMERA_FRAME_TIPS, CAMERA_FRAMES, CAMERAS


class PresetButtons(QWidget):
    """The presets' buttons in a row (Healthy | Typical PFP | Severe): a click shows that
    preset's setting; the one on is checked (none for a custom setting)."""

    def __init__(self, session: Session, object_prefix: str = "preset",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.buttons: dict[str, QPushButton] = {}
        for name in PRESETS:
            b = QPushButton(PRESET_LABELS.get(name, name))
            b.setCheckable(True)
            b.setObjectName(f"{object_prefix}-{name}")
            b.clicked.connect(lambda _c=False, n=name: self.apply(n))
            row.addWidget(b)
            self.buttons[name] = b
        session.scenario_changed.connect(self.sync)
        self.sync()

    def apply(self, name: str) -> None:
        self.session.set_scenario(self.session.scenario_for_preset(name))

    def sync(self) -> None:
        for name, b in self.buttons.items():
            b.setChecked(self.session.scenario.preset == name)


class HipControls(QGroupBox):
    """The hip group's sliders (made from the declarations: kneeviz.scenario's parameters with a
    control in HIP_GROUP) and the preset buttons."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(HIP_GROUP, parent)
        self.session = session
        grid = QGridLayout(self)
        self.params = ParameterSliders(
            session, declared_controls(parameters_of(session.scenario).values(), HIP_GROUP),
            on_error=lambda m: self.status.setText(m))
        self.sliders = self.params.sliders
        grid.addWidget(self.params, 0, 0, 1, 2)
        self.presets = PresetButtons(session)
        self.preset_buttons = self.presets.buttons
        grid.addWidget(self.presets, 4, 0, 1, 2)
        self.status = QLabel("")
        self.status.setStyleSheet("color: #d9a441;")
        grid.addWidget(self.status, 5, 0, 1, 2)

    def set_hip(self, *values_deg: float) -> None:
        """Move the preset's sliders (HIP_PARAMETERS, in order) as a user would; solve at once."""
        self.params.set_values(**dict(zip(HIP_PARAMETERS, values_deg, strict=True)))

    def apply_preset(self, name: str) -> None:
        self.presets.apply(name)


class CameraControls(QWidget):
    """The bar over the 3D view: what the camera is held to (the thigh bone or the room), the
    camera presets and "Follow the knee". Each button shows whether it is the one in use."""

    camera_requested = pyqtSignal(str)
    frame_requested = pyqtSignal(str)
    follow_toggled = pyqtSignal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(4, 2, 4, 2)
        row.setSpacing(4)
        self.frames: dict[str, QPushButton] = {}
        frames = QButtonGroup(self)
        for name, label in CAMERA_FRAMES.items():
            b = QPushButton(label)
            b.setCheckable(True)
            b.setToolTip(CAMERA_FRAME_TIPS[name])
            b.setObjectName(f"frame-{name}")
            b.clicked.connect(lambda _c=False, n=name: self.frame_requested.emit(n))
            frames.addButton(b)
            row.addWidget(b)
            self.frames[name] = b
        line = QFrame()
        line.setFrameShape(QFrame.Shape.VLine)
        row.addWidget(line)
        self.buttons: dict[str, QPushButton] = {}
        presets = QButtonGroup(self)
        for name, label in CAMERAS.items():
            b = QPushButton(label)
            b.setCheckable(True)
            b.setObjectName(f"camera-{name}")
            b.clicked.connect(lambda _c=False, n=name: self.camera_requested.emit(n))
            presets.addButton(b)
            row.addWidget(b)
            self.buttons[name] = b
        self.follow = QCheckBox("Follow the knee")
        self.follow.setChecked(True)  # the knee travels ~20 cm in a deep squat: keep it in view
        self.follow.toggled.connect(self.follow_toggled.emit)
        row.addWidget(self.follow)
        row.addStretch(1)

    def show_state(self, camera: str, frame: str) -> None:
        """Check the buttons of the camera and frame in use (no signals)."""
        for name, b in (*self.buttons.items(), *self.frames.items()):
            b.blockSignals(True)
            b.setChecked(name in (camera, frame))
            b.blockSignals(False)


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
    """The hip group and a box for any other declared group of controls (a study's own
    parameters). The what-if group sits with the clinical views, the cameras over the 3D
    view (CameraControls)."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.hip = HipControls(session)
        layout.addWidget(self.hip)
        self.groups: dict[str, ParameterSliders] = {}
        declared = list(parameters_of(session.scenario).values())
        others = dict.fromkeys(p.control.group for p in declared if p.control is not None)
        for group in others:
            if group in (HIP_GROUP, WHAT_IF_GROUP):
                continue
            box = QGroupBox(group)
            QVBoxLayout(box).addWidget(
                sliders := ParameterSliders(session, declared_controls(declared, group)))
            self.groups[group] = sliders
            layout.addWidget(box)
