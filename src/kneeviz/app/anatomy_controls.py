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

from PyQt6.QtCore import Qt, QThreadPool
from PyQt6.QtWidgets import QGridLayout, QGroupBox, QLabel, QPushButton, QSlider, QWidget

from kneeviz.anatomy.knee import Anatomy
from kneeviz.anatomy.knee_spec import SULCUS_ANGLE_RANGE_DEG
from kneeviz.app.session import Session
from kneeviz.app.worker import Job, JobSignals
from kneeviz.errors import KneevizError
from kneeviz.scenario import PARAMETERS, Scenario

SULCUS_RANGE_DEG = (int(SULCUS_ANGLE_RANGE_DEG[0]), int(SULCUS_ANGLE_RANGE_DEG[1]))
_ALTA = PARAMETERS["insall_salvati_ratio"]
ALTA_RANGE = (int(round(100 * _ALTA.low)), int(round(100 * _ALTA.high)))
"""Insall-Salvati ratio x 100 on the slider."""
NORMAL_INSALL_SALVATI = Scenario().insall_salvati_ratio
VMO_SCALE = 100
"""The VMO slider shows the strength as a percentage of normal."""


def vmo_range_pct() -> tuple[int, int]:
    """The VMO strength range (the scenario's parameter table, a fraction of normal) in slider
    percent."""
    vmo = PARAMETERS["vmo_strength"]
    return int(round(VMO_SCALE * vmo.low)), int(round(VMO_SCALE * vmo.high))


def vmo_words(fraction: float) -> str:
    if fraction >= 0.9:
        return "normal"
    if fraction >= 0.5:
        return "weaker"
    return "weak"


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


def sulcus_words(angle_deg: float) -> str:
    if angle_deg > 150:
        return "shallow groove (dysplasia)"
    if angle_deg > 145:
        return "borderline shallow"
    return "normal depth"


def alta_words(ratio: float) -> str:
    if ratio > 1.2:
        return "high-riding kneecap (alta)"
    if ratio < 0.8:
        return "low-riding kneecap (baja)"
    return "normal height"


class AnatomyControls(QGroupBox):
    """Sulcus angle, Insall-Salvati and VMO strength sliders (applied on release)."""

    def __init__(self, session: Session,
                 loader: Callable[[float | None], Anatomy] = default_knee_loader,
                 parent: QWidget | None = None) -> None:
        super().__init__("What if... (groove depth, kneecap height, inner thigh muscle)", parent)
        self.session = session
        self.loader = loader
        self.pool = QThreadPool()
        self.pool.setMaxThreadCount(1)
        self.signals = JobSignals()  # one for every re-cut, connected once
        self.signals.done.connect(self._on_loaded)
        self.signals.failed.connect(self._on_failed)
        self.loading = False
        grid = QGridLayout(self)
        self.sulcus = QSlider(Qt.Orientation.Horizontal)
        self.sulcus.setRange(*SULCUS_RANGE_DEG)
        self.sulcus.setObjectName("sulcus-angle")
        self.sulcus_label = QLabel()
        self.alta = QSlider(Qt.Orientation.Horizontal)
        self.alta.setRange(*ALTA_RANGE)
        self.alta.setObjectName("insall-salvati")
        self.alta_label = QLabel()
        self.vmo = QSlider(Qt.Orientation.Horizontal)
        self.vmo.setRange(*vmo_range_pct())
        self.vmo.setObjectName("vmo-strength")
        self.vmo.setToolTip("The innermost part of the thigh muscle (vastus medialis obliquus) "
                            "pulls the kneecap inward; strengthening it is a classic exercise.")
        self.vmo_label = QLabel()
        self.reset_button = QPushButton("Normal groove, kneecap height and inner thigh muscle")
        grid.addWidget(QLabel("Groove angle (sulcus angle; larger = shallower)"), 0, 0, 1, 2)
        grid.addWidget(self.sulcus, 1, 0)
        grid.addWidget(self.sulcus_label, 1, 1)
        grid.addWidget(QLabel("Kneecap height (Insall-Salvati ratio)"), 2, 0, 1, 2)
        grid.addWidget(self.alta, 3, 0)
        grid.addWidget(self.alta_label, 3, 1)
        grid.addWidget(QLabel("Inner thigh muscle (VMO) strength"), 4, 0, 1, 2)
        grid.addWidget(self.vmo, 5, 0)
        grid.addWidget(self.vmo_label, 5, 1)
        grid.addWidget(self.reset_button, 6, 0, 1, 2)
        self.status = QLabel("")
        self.status.setStyleSheet("color: #d9a441;")
        self.status.setWordWrap(True)
        grid.addWidget(self.status, 7, 0, 1, 2)
        self.sulcus.valueChanged.connect(self._label_sulcus)
        self.alta.valueChanged.connect(self._label_alta)
        self.sulcus.sliderReleased.connect(self._commit_sulcus)
        self.alta.sliderReleased.connect(self._commit_alta)
        self.vmo.valueChanged.connect(self._label_vmo)
        self.vmo.sliderReleased.connect(self._commit_vmo)
        self.reset_button.clicked.connect(self.reset)
        session.scenario_changed.connect(self._sync)
        session.anatomy_changed.connect(self._sync)
        self._sync()

    # -- display -------------------------------------------------------------------------------
    def _sync(self) -> None:
        sc = self.session.scenario
        angle = sulcus_angle_of(self.session.anatomy)
        if angle is None:
            angle = self.session.anatomy.femur_landmarks.sulcus_angle_deg
        for slider, value in ((self.sulcus, round(angle)),
                              (self.alta, round(100 * sc.insall_salvati_ratio)),
                              (self.vmo, round(VMO_SCALE * sc.vmo_strength))):
            slider.blockSignals(True)
            slider.setValue(int(value))
            slider.blockSignals(False)
        self._label_sulcus(self.sulcus.value())
        self._label_alta(self.alta.value())
        self._label_vmo(self.vmo.value())
        default = is_default_knee(self.session.anatomy)
        self.sulcus.setEnabled(default and not self.loading)
        self.sulcus.setToolTip("" if default else
                               "The groove of a knee opened from files is its own: only the "
                               "bundled knee can be re-sculpted.")

    def _label_sulcus(self, v: int) -> None:
        self.sulcus_label.setText(f"{v}\u00b0 {sulcus_words(v)}")

    def _label_alta(self, v: int) -> None:
        self.alta_label.setText(f"{v / 100:.2f} {alta_words(v / 100)}")

    def _label_vmo(self, v: int) -> None:
        self.vmo_label.setText(f"{v}% of normal, {vmo_words(v / VMO_SCALE)}")

    # -- changes --------------------------------------------------------------------------------
    def _commit_alta(self) -> None:
        self.set_insall_salvati(self.alta.value() / 100.0)

    def _commit_sulcus(self) -> None:
        self.set_sulcus_angle(float(self.sulcus.value()))

    def set_insall_salvati(self, ratio: float) -> None:
        try:
            sc = self.session.scenario.with_changes(insall_salvati_ratio=float(ratio))
        except KneevizError as exc:
            self.status.setText(str(exc))
            return
        self.status.setText("")
        self.session.set_scenario(sc)

    def _commit_vmo(self) -> None:
        self.set_vmo_strength(self.vmo.value() / VMO_SCALE)

    def set_vmo_strength(self, fraction: float) -> None:
        """Re-solve with this VMO strength (fraction of normal), like the hip sliders."""
        try:
            sc = self.session.scenario.with_changes(vmo_strength=float(fraction))
        except KneevizError as exc:
            self.status.setText(str(exc))
            return
        self.status.setText("")
        self.session.set_scenario(sc)

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
        self.sulcus.setEnabled(False)
        self.status.setText("Re-shaping the groove... (about 10 s the first time)")
        self.pool.start(Job(lambda _p, _c: self.loader(angle_deg),
                            "the knee could not be rebuilt", self.signals))

    def reset(self) -> None:
        if self.session.scenario.insall_salvati_ratio != NORMAL_INSALL_SALVATI:
            self.set_insall_salvati(NORMAL_INSALL_SALVATI)
        normal = Scenario().vmo_strength
        if self.session.scenario.vmo_strength != normal:
            self.set_vmo_strength(normal)
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
