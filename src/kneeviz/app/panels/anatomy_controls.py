"""'What if...' controls for the clinician: a shallow groove (trochlear dysplasia, the sulcus
angle) and a high-riding kneecap (patella alta, the Insall-Salvati ratio).

Normal values (docs/literature.md section 5): sulcus angle 138 +/- 6 deg (Merchant
1974), dysplasia above 145-150 deg; Insall-Salvati ratio 1.02 +/- 0.13, alta above 1.2 (Insall &
Salvati 1971).

The Insall-Salvati ratio is a Scenario parameter (the mechanics sets the patellar tendon's slack
length from it), so changing it re-solves like the hip sliders do. The sulcus angle changes the knee
itself: the default knee is rebuilt with the sculpted groove (about 10 s the first time, cached
after) on a worker thread, then replaces the current knee. A knee opened from files keeps its own
groove (the control is disabled, saying why). The sulcus angle belongs to the knee
(Anatomy.knee_spec), not to the squat: a rebuilt knee replaces the session's knee through its
setter and carries its own angle.
"""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtCore import QThreadPool
from PyQt6.QtWidgets import QGridLayout, QGroupBox, QLabel, QPushButton, QWidget

from kneeviz.anatomy.knee import Anatomy
from kneeviz.anatomy.knee_spec import KNEE_PARAMETERS, SULCUS_ANGLE
from kneeviz.app.panels.parameter_controls import ParameterSliders, declared_controls
from kneeviz.app.state.session import Session
from kneeviz.app.support.worker import Job, JobSignals
from kneeviz.parameter import WHAT_IF_GROUP, Affects
from kneeviz.scenario import Scenario, parameters_of


def default_knee_loader(sulcus_angle_deg: float | None) -> Anatomy:
    from kneeviz.anatomy.knee_spec import KneeSpec
    from kneeviz.anatomy.loader import load_knee

    return load_knee(KneeSpec(sulcus_angle_deg=sulcus_angle_deg))


def is_default_knee(anatomy: Anatomy) -> bool:
    """True for the bundled knee (the only one whose groove can be re-sculpted)."""
    return anatomy.knee_spec is not None and anatomy.knee_spec.is_default


def sulcus_angle_of(anatomy: Anatomy) -> float | None:
    """The angle the bundled knee was re-cut to (None: as built, or not the bundled knee)."""
    return anatomy.knee_spec.sulcus_angle_deg if anatomy.knee_spec is not None else None


class AnatomyControls(QGroupBox):
    """The what-if group's sliders, made from the declarations (the knee's sulcus angle, then
    the squat's tissue parameters with a control in WHAT_IF_GROUP), and a reset button."""

    def __init__(self, session: Session,
                 loader: Callable[[float | None], Anatomy] = default_knee_loader,
                 parent: QWidget | None = None) -> None:
        super().__init__(WHAT_IF_GROUP, parent)
        self.session = session
        self.loader = loader
        self.pool = QThreadPool()
        self.pool.setMaxThreadCount(1)
        self.signals = JobSignals()  # one for every re-cut, connected once
        self.signals.done.connect(self._on_loaded)
        self.signals.failed.connect(self._on_failed)
        self.loading = False
        grid = QGridLayout(self)
        self.status = QLabel("")
        self.params = ParameterSliders(
            session, declared_controls([*KNEE_PARAMETERS.values(),
                                        *parameters_of(session.scenario).values()],
                                       WHAT_IF_GROUP),
            on_knee_shape=self._knee_shape, knee_value=self._knee_value,
            on_error=self.status.setText)
        self.sliders = self.params.sliders
        self.reset_button = QPushButton("Normal groove, kneecap height and inner thigh muscle")
        grid.addWidget(self.params, 0, 0, 1, 2)
        grid.addWidget(self.reset_button, 6, 0, 1, 2)
        self.status.setStyleSheet("color: #d9a441;")
        self.status.setWordWrap(True)
        grid.addWidget(self.status, 7, 0, 1, 2)
        self.reset_button.clicked.connect(self.reset)
        session.anatomy_changed.connect(self._sync)
        self._sync()

    def _knee_value(self, name: str) -> float:
        """The knee's own value of a knee parameter: as re-cut, else as measured on the knee."""
        assert name == SULCUS_ANGLE.name, name
        angle = sulcus_angle_of(self.session.anatomy)
        return angle if angle is not None else self.session.anatomy.femur_landmarks.sulcus_angle_deg

    def _sync(self) -> None:
        default = is_default_knee(self.session.anatomy)
        for s in self.sliders.values():
            if s.parameter.affects is Affects.KNEE_SHAPE:
                s.slider.setEnabled(default and not self.loading)
                s.slider.setToolTip("" if default else
                                    "The groove of a knee opened from files is its own: only "
                                    "the bundled knee can be re-sculpted.")

    def _knee_shape(self, name: str, value: float) -> None:
        self.set_sulcus_angle(value)

    def set_insall_salvati(self, ratio: float) -> None:
        self.params.set_values(insall_salvati_ratio=ratio)

    def set_vmo_strength(self, fraction: float) -> None:
        """Re-solve with this VMO strength (fraction of normal), like the hip sliders."""
        self.params.set_values(vmo_strength=fraction)

    def set_sulcus_angle(self, angle_deg: float | None) -> None:
        """Rebuild the default knee with this sulcus angle (None: as built) off the UI thread."""
        if not is_default_knee(self.session.anatomy) or self.loading:
            return
        current = sulcus_angle_of(self.session.anatomy)
        if current == angle_deg or (
            current is None and angle_deg is not None
            and abs(angle_deg - self.session.anatomy.femur_landmarks.sulcus_angle_deg) < 0.5
        ):
            return
        self.loading = True
        self._sync()
        self.status.setText("Re-shaping the groove... (about 10 s the first time)")
        self.pool.start(Job(lambda _p, _c: self.loader(angle_deg),
                            "the knee could not be rebuilt", self.signals))

    def reset(self) -> None:
        """Every what-if parameter back to its declared default (the knee as built)."""
        normal = Scenario()
        changes = {n: getattr(normal, n) for n, s in self.sliders.items()
                   if s.parameter.affects is not Affects.KNEE_SHAPE
                   and getattr(self.session.scenario, n) != getattr(normal, n)}
        if changes:
            self.session.set_scenario(self.session.scenario.with_changes(**changes))
        if sulcus_angle_of(self.session.anatomy) is not None:
            self.set_sulcus_angle(None)

    def _on_loaded(self, anatomy: Anatomy) -> None:
        self.loading = False
        self.status.setText("")
        self.session.set_anatomy(anatomy)  # the rebuilt knee carries its own sulcus angle
        self._sync()

    def _on_failed(self, message: str) -> None:
        self.loading = False
        self.status.setText(message)
        self._sync()

    def shutdown(self) -> None:
        self.pool.clear()
        self.pool.waitForDone(60000)
