"""The knee as data: bone and cartilage meshes posed in their own anatomical frames, with landmarks.

Every mesh of an Anatomy is stored in its bone's ISB-style frame (Wu et al. 2002; Grood & Suntay
1983), right-knee convention: X anterior, Y proximal, Z lateral (to the right), millimetres.
A left knee is mirrored into this convention on load (`side` remembers it; `T_display_model`
mirrors it back for display).

Frames (origins):
- femur: midpoint of the epicondyles; Y towards the hip centre; Z along the epicondylar axis.
- tibia: midpoint of the tibial plateau (between the condyle centres); Y from the ankle centre
  towards it; Z from the medial to the lateral side.
- patella: centroid of the patellar bone; Y from the apex (inferior pole) to the base (superior);
  Z from medial to lateral border; X out of the front face.
- pelvis: at the hip centre of the operated side, axes parallel to the femur frame in the
  reference (standing) pose.

`T_femur_tibia_ref` etc. are the bones' relative poses as scanned (standing / extended knee).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from kneeviz.anatomy.knee_spec import KneeSpec
from kneeviz.anatomy.mesh import FloatArray, SurfaceMesh


@dataclass(frozen=True, eq=False)
class FemurLandmarks:
    """Femoral landmarks in the femur frame (mm)."""

    hip_centre_mm: FloatArray
    femoral_head_radius_mm: float
    medial_epicondyle_mm: FloatArray
    lateral_epicondyle_mm: FloatArray
    medial_posterior_condyle_mm: FloatArray
    lateral_posterior_condyle_mm: FloatArray
    groove_line_mm: FloatArray
    """Deepest points of the trochlear groove, (K, 3), proximal to distal."""
    sulcus_angle_deg: float
    groove_depth_mm: float

    @property
    def mechanical_axis(self) -> FloatArray:
        """Unit vector from the knee centre (origin) to the hip centre."""
        return self.hip_centre_mm / np.linalg.norm(self.hip_centre_mm)

    @property
    def posterior_condylar_axis(self) -> FloatArray:
        """Unit vector from the medial to the lateral posterior condyle, in the femur's axial
        plane (perpendicular to the mechanical axis, the frame's Y): the posterior condylar line
        is a line of an axial image (tilt, TT-TG: literature.md section 7). The two tangent
        points lie on posterior surfaces that run nearly parallel to the axis, so their heights
        say nothing: a 1.3 deg change of the axis moved the ICL femur's medial point 4.3 mm
        along it, which turned the 3-D line 5 deg and the kneecap's tilt by 2-4 deg in flexion
        (issue 26); in the bundled knee the points' 1 mm difference in height added 1.6 mm to
        TT-TG (over the 80 mm from the groove to the tuberosity)."""
        d = np.asarray(self.lateral_posterior_condyle_mm - self.medial_posterior_condyle_mm,
                       dtype=float).copy()
        d[1] = 0.0
        return d / np.linalg.norm(d)


@dataclass(frozen=True, eq=False)
class TibiaLandmarks:
    """Tibial landmarks in the tibia frame (mm)."""

    plateau_centre_mm: FloatArray
    medial_plateau_mm: FloatArray
    lateral_plateau_mm: FloatArray
    tuberosity_mm: FloatArray
    ankle_centre_mm: FloatArray
    medial_malleolus_mm: FloatArray
    lateral_malleolus_mm: FloatArray


@dataclass(frozen=True, eq=False)
class PatellaLandmarks:
    """Patellar landmarks in the patella frame (mm)."""

    apex_mm: FloatArray
    """Inferior pole: where the patellar tendon attaches."""
    base_mm: FloatArray
    """Superior border: where the quadriceps attaches."""
    medial_border_mm: FloatArray
    lateral_border_mm: FloatArray
    ridge_line_mm: FloatArray
    """The median ridge of the articular surface, (K, 3), superior to inferior."""
    height_mm: float
    width_mm: float
    thickness_mm: float


@dataclass(frozen=True, eq=False)
class PelvisLandmarks:
    """Pelvic landmarks in the pelvis frame (mm)."""

    hip_centre_mm: FloatArray
    aiis_mm: FloatArray
    """Anterior inferior iliac spine: origin of rectus femoris."""
    asis_mm: FloatArray


@dataclass(frozen=True, eq=False)
class Completion:
    """What a knee's loader estimated because the scan did not hold it (a knee MRI's partial
    femur or tibia, kneeviz.anatomy.completion): the added atlas surface in the bone's frame, to be
    shown ghosted, and how well the atlas fitted the patient's bone (RMS, mm)."""

    femur: SurfaceMesh | None = None
    tibia: SurfaceMesh | None = None
    femur_rms_mm: float | None = None
    tibia_rms_mm: float | None = None
    pelvis_estimated: bool = False
    notes: tuple[str, ...] = ()

    @property
    def bones(self) -> tuple[str, ...]:
        """The bones that were completed ("femur", "tibia")."""
        return tuple(b for b in ("femur", "tibia") if getattr(self, b) is not None)


@dataclass(frozen=True, eq=False)
class Anatomy:
    """One knee: meshes in bone frames, landmarks, reference relative poses."""

    name: str
    side: str  # "right" or "left" (as loaded; stored mirrored to right when left)
    femur: SurfaceMesh
    patella: SurfaceMesh
    tibia: SurfaceMesh
    femur_cartilage: SurfaceMesh
    patella_cartilage: SurfaceMesh
    femur_landmarks: FemurLandmarks
    tibia_landmarks: TibiaLandmarks
    patella_landmarks: PatellaLandmarks
    T_femur_tibia_ref: FloatArray
    pelvis: SurfaceMesh | None = None
    pelvis_landmarks: PelvisLandmarks | None = None
    T_femur_pelvis_ref: FloatArray = field(default_factory=lambda: np.eye(4))
    sources: tuple[str, ...] = ()
    T_femur_patella_scan: FloatArray | None = None
    """Where the patient's scan shows the kneecap (patella frame in the femur frame), when the
    knee came from one shared scan frame. The model never uses it to place the kneecap (the
    equilibrium does that); it is kept so that the solved pose can be checked against the scan."""
    knee_spec: KneeSpec | None = None
    """What this knee was built from (kneeviz.anatomy.loader), so that it can be named again
    (scenario files); None for a knee made in code."""
    completion: Completion | None = None
    """Set when a partial bone was completed from the atlas: the axes are then estimated."""
    cartilage_source: str = "grown"
    """"grown" (built on the bone by kneeviz.anatomy.cartilage) or "segmented" (the patient's)."""

    @property
    def T_display_model(self) -> FloatArray:
        """Maps right-knee model coordinates to how the knee is shown (mirrors a left knee)."""
        return np.diag([1.0, 1.0, -1.0, 1.0]) if self.side == "left" else np.eye(4)

    @property
    def femur_length_mm(self) -> float:
        return float(np.linalg.norm(self.femur_landmarks.hip_centre_mm))

    @property
    def tibia_length_mm(self) -> float:
        return float(np.linalg.norm(self.tibia_landmarks.ankle_centre_mm))

    def key(self) -> str:
        """A content hash for caches: the meshes and everything the mechanics reads besides
        them (landmarks, the bones' reference poses). Two knees with the same meshes but another
        tendon insertion or hip centre are two knees: keyed by the meshes alone, a model built
        for one was reused for the other in the same process."""
        import hashlib

        parts = [
            m.content_hash()
            for m in (self.femur, self.patella, self.tibia, self.femur_cartilage,
                      self.patella_cartilage)
        ]
        h = hashlib.sha256("".join(parts).encode())
        for lm in (self.femur_landmarks, self.tibia_landmarks, self.patella_landmarks,
                   self.pelvis_landmarks):
            if lm is None:
                continue
            for name in lm.__dataclass_fields__:
                h.update(name.encode())
                h.update(np.ascontiguousarray(getattr(lm, name), dtype=float).tobytes())
        for T in (self.T_femur_tibia_ref, self.T_femur_pelvis_ref):
            h.update(np.ascontiguousarray(T, dtype=float).tobytes())
        return h.hexdigest()[:16]
