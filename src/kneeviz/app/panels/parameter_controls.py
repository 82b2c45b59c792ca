"""Sliders made from parameter declarations (kneeviz.parameter): one per declared parameter.

A declared parameter with a `Control` gets a slider in its group, in declaration order, with the
declaration's words, range, step and shown value; nothing here names a parameter. What the slider
does follows from what the parameter affects:

- the squat (Affects.SQUAT, the hip sliders): while it moves only the bones are re-posed (the
  first change at once, later ones every DEBOUNCE_MS); the squat is solved once the slider has
  rested REST_MS or is released (solving every value of a drag kept both cores busy with solves
  that were superseded a few frames in);
- the tissue model (Affects.TISSUE): the squat is solved again when the slider is released (or
  moved by a key);
- the knee's shape (Affects.KNEE_SHAPE): the knee is rebuilt when the slider is released, by the
  group's owner (it takes seconds, off the UI thread).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PyQt6.QtCore import Qt, QTimer, pyqtSignal
from PyQt6.QtWidgets import QGridLayout, QLabel, QSlider, QWidget

from kneeviz.app.state.session import Session
from kneeviz.app.support.throttle import Throttle
from kneeviz.errors import KneevizError
from kneeviz.parameter import Affects, Control, Parameter

DEBOUNCE_MS = 10
"""A slider drag emits a value per pixel: the first change is applied at once (so the moved slider
and the re-posed bones reach the screen in one window composition), later ones at most every
DEBOUNCE_MS, the last one always."""
REST_MS = 200
"""A squat slider that has rested this long (or is released) solves the squat it shows."""


class ParameterSlider(QWidget):
    """One declared parameter: its words above, the slider and the shown value beside it.
    Slider positions are the value in steps of the control's step, so the value is exact."""

    released = pyqtSignal()

    def __init__(self, parameter: Parameter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        assert parameter.control is not None, f"{parameter.name} has no control"
        self.parameter = parameter
        self.control: Control = parameter.control
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        self.words = QLabel(self.control.words)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName(parameter.flag.lstrip("-"))
        self.slider.setRange(self._position(parameter.low), self._position(parameter.high))
        self.slider.setPageStep(max(1, round(2.0 / self.control.step))
                                if self.control.step >= 1 else 5)
        self.slider.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        if self.control.tip:
            for w in (self.words, self.slider):
                w.setToolTip(self.control.tip)
        self.value_label = QLabel()
        grid.addWidget(self.words, 0, 0, 1, 2)
        grid.addWidget(self.slider, 1, 0)
        grid.addWidget(self.value_label, 1, 1)
        self.slider.valueChanged.connect(lambda _v: self._label())
        self.slider.sliderReleased.connect(self.released.emit)
        self._label()

    def _position(self, value: float) -> int:
        return int(round(value / self.control.step))

    @property
    def value(self) -> float:
        """The value the slider shows, in the parameter's unit."""
        return round(self.slider.value() * self.control.step, 10)

    def show_value(self, value: float) -> None:
        """Move the slider to `value` without emitting (the session set it elsewhere)."""
        self.slider.blockSignals(True)
        self.slider.setValue(self._position(value))
        self.slider.blockSignals(False)
        self._label()

    def _label(self) -> None:
        v = self.value
        words = self.control.words_for(v)
        self.value_label.setText(f"{self.control.shown(v)} {words}".rstrip())


def declared_controls(parameters: Iterable[Parameter], group: str) -> list[Parameter]:
    """The parameters of `group` that have a control, in declaration order."""
    return [p for p in parameters if p.control is not None and p.control.group == group]


class ParameterSliders(QWidget):
    """The sliders of one group of a scenario's declared parameters, wired to the session by
    what each affects (see the module docstring). Knee-shape parameters are handed to
    `on_knee_shape(name, value)` on release; their shown value comes from `knee_value(name)`."""

    def __init__(self, session: Session, parameters: Iterable[Parameter], *,
                 on_knee_shape: Callable[[str, float], None] | None = None,
                 knee_value: Callable[[str], float] | None = None,
                 on_error: Callable[[str], None] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.on_knee_shape = on_knee_shape
        self.knee_value = knee_value
        self.on_error = on_error or (lambda _m: None)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        self.sliders: dict[str, ParameterSlider] = {}
        for row, p in enumerate(parameters):
            s = ParameterSlider(p)
            grid.addWidget(s, row, 0)
            self.sliders[p.name] = s
            if p.affects is Affects.SQUAT:
                s.slider.valueChanged.connect(self._on_squat_slider)
                s.released.connect(self._solve)
            elif p.affects is Affects.KNEE_SHAPE:
                s.released.connect(lambda n=p.name: self._knee_shape(n))
            else:
                s.released.connect(self._commit_released)
                s.slider.valueChanged.connect(self._on_tissue_slider)
        self._debounce = Throttle(lambda _i: self._commit(), self, trailing=True)
        self._debounce.set_interval(DEBOUNCE_MS)
        self._rest = QTimer(self)
        self._rest.setSingleShot(True)
        self._rest.setInterval(REST_MS)
        self._rest.timeout.connect(self._solve)
        session.scenario_changed.connect(self.sync)
        session.anatomy_changed.connect(self.sync)
        self.sync()

    def _scenario_values(self) -> dict[str, float]:
        return {n: s.value for n, s in self.sliders.items()
                if s.parameter.affects is not Affects.KNEE_SHAPE}

    def sync(self) -> None:
        """Show the session's values (set elsewhere, e.g. by a preset) without re-triggering."""
        for name, s in self.sliders.items():
            if s.parameter.affects is Affects.KNEE_SHAPE:
                if self.knee_value is not None:
                    s.show_value(self.knee_value(name))
            else:
                s.show_value(float(getattr(self.session.scenario, name)))

    def _on_squat_slider(self) -> None:
        self._rest.start()
        self._debounce.call(0)

    def _on_tissue_slider(self) -> None:
        if not any(s.slider.isSliderDown() for s in self.sliders.values()):
            self._commit(solve=True)  # a key or a click on the groove: no release follows

    def _commit_released(self) -> None:
        self._commit(solve=True)

    def _commit(self, solve: bool = False) -> None:
        try:
            scenario = self.session.scenario.with_changes(**self._scenario_values())
        except KneevizError as exc:
            self.on_error(str(exc))
            return
        self.on_error("")
        self.session.set_scenario(scenario, solve=solve)

    def _solve(self) -> None:
        """A squat slider rested or was released: solve the setting it shows."""
        self._rest.stop()
        self._commit(solve=True)

    def _knee_shape(self, name: str) -> None:
        if self.on_knee_shape is not None:
            self.on_knee_shape(name, self.sliders[name].value)

    def set_values(self, **values: float) -> None:
        """Set parameters of this group and solve at once, as moving their sliders would; a
        value outside its declared range is refused with the declaration's words."""
        try:
            self.session.scenario.with_changes(**values)
        except KneevizError as exc:
            self.on_error(str(exc))
            return
        for name, v in values.items():
            self.sliders[name].show_value(float(v))
        self._rest.stop()
        self._commit(solve=True)
