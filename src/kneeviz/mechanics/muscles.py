"""The soft tissues that pull on the patella: quadriceps bundles, patellar tendon, retinacula.

Each is a line element between a point fixed on the patella and a point fixed on another bone
(femur, tibia or pelvis). An element returns its force on the patella (femur frame, N) and the 3x3
stiffness df/dp of that force with respect to the patellar attachment point, which the equilibrium
solver assembles into its analytic Jacobian.

Quadriceps bundles carry a prescribed force (set by the squat's knee extensor moment) and WRAP over
a cylinder on the distal femur whose axis is the femur's Z axis, as OpenSim knee models do: a
straight line cuts through the trochlea past about 65 deg of flexion (docs/model.md section 4.1).
Tendon and retinacula are tension-only springs with a short quadratic toe region, so the force and
its derivative are continuous at the slack length.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from kneeviz.anatomy.knee import Anatomy
from kneeviz.anatomy.mesh import FloatArray
from kneeviz.mechanics.itb import ItbAnchor, itb_anchor
from kneeviz.transforms import apply

# Physiological cross-sectional areas of the quadriceps (cm^2), Ward SR, Eng CM, Smallwood LH,
# Lieber RL (2009) Are current measurements of lower extremity muscle architecture accurate?
# Clin Orthop Relat Res 467(4):1074-1082, Table 2: RF 13.5, VL 35.1, VI 16.7, VM 20.6.
WARD_2009_PCSA_CM2: dict[str, float] = {"RF": 13.5, "VL": 35.1, "VI": 16.7, "VM": 20.6}

# Lenhart et al. 2015 knee model [model file] (docs/literature.md section 6): patellar
# tendon 6 bundles x 3000 N/strain.
PATELLAR_TENDON_N_PER_STRAIN = 6 * 3000.0
# The retinacula, each a single line element, at their IN-SITU stiffness: what the whole structure
# gives where it lies in the knee, not the linear slope of an isolated tissue near its failure load.
# - MPFL, measured in situ: cutting it removed 10.6 +- 5.7, 36.6 +- 2.7 and 69.0 +- 5.9 N of the
#   force that holds the patella 1, 5 and 10 mm lateral at 30 deg of flexion (a cadaver study of
#   anatomic MPFL reconstruction, 4 knees, PubMed Central PMC3748894), about 7 N/mm; it gives 60 %
#   of the 74 N lateral restraint at 10 mm at 20 deg (Desio SM et al. 1998, Am J Sports Med 26:59;
#   Senavongse W et al. 2003, J Orthop Res 21:780), about 4.5 N/mm. The isolated femur-MPFL-patella
#   complex is 42.5 +- 10.2 N/mm in its linear region, reached only near its 145 N failure load
#   after a long toe region (failure at 9.5 mm: Criscenti G et al. 2016, J Biomech, PMID 26454357).
#   At 42.5 N/mm the model's MPFL held the patella with 300 N at a 10 mm glide
#   (kneeviz.mechanics.stability).
# - The lateral bands have only isolated tests (Merican AM, Sanghavi S, Iranpour F, Amis AA 2009,
#   The structural properties of the lateral retinaculum and capsular complex of the knee, J Biomech
#   42:2323-2329): iliotibial-patellar band 97 N/mm, failing at 582 N; lateral patellofemoral
#   ligament 16 N/mm, failing at 172 N. At 97 N/mm the band carried 530-589 N from 60 deg on in a
#   HEALTHY bodyweight squat, at or past its failure load, which no routine squat does. They are
#   scaled by the MPFL's in-situ / isolated ratio (7 / 42.5): an assumption, the only measured ratio
#   we have.
ISOLATED_TO_IN_SITU = 7.0 / 42.5
MPFL_N_PER_MM = 7.0
LPFL_N_PER_MM = 16.0 * ISOLATED_TO_IN_SITU
ITB_PATELLAR_BAND_N_PER_MM = 97.0 * ISOLATED_TO_IN_SITU
# Failure loads (N) of the isolated structures, for checking that the model loads them as a
# routine activity would (well below failure): MPFL complex 145 (Criscenti 2016), the lateral
# bands as above (Merican 2009).
FAILURE_LOAD_N: dict[str, float] = {"MPFL": 145.0, "LPFL": 172.0, "IPB": 582.0}


@dataclass(frozen=True)
class ExtensorParams:
    """Geometry and stiffness choices for the extensor mechanism (all documented defaults).

    Frontal-plane fibre angles are measured from the femoral shaft: vastus lateralis 15-30 deg
    lateral, VMO 50-55 deg medial (Lieb FJ, Perry J 1968 J Bone Joint Surg Am 50:1535 describe the
    VMO's 50-55 deg obliquity). The anatomical femoral shaft leans about 6 deg laterally from the
    mechanical axis (Moreland JR et al. 1987 J Bone Joint Surg Am 69:745); the vasti are attached
    along it. The rectus femoris origin (anterior inferior iliac spine) is taken from the pelvis
    landmarks when present, else 41 mm anterior, 35 mm superior, 13 mm lateral of the hip centre
    (OpenSim gait2392 [model file]).
    """

    vl_angle_deg: float = 20.0
    vmo_angle_deg: float = 52.0
    shaft_valgus_deg: float = 6.0
    vasti_origin_height_mm: float = 150.0
    vmo_origin_height_mm: float = 45.0
    shaft_anterior_mm: float = 12.0
    default_aiis_mm: tuple[float, float, float] = (41.0, 35.0, 13.0)
    pcsa_cm2: tuple[tuple[str, float], ...] = tuple(WARD_2009_PCSA_CM2.items())
    wrap_radius_mm: float = 26.0
    tendon_n_per_strain: float = PATELLAR_TENDON_N_PER_STRAIN
    mpfl_n_per_mm: float = MPFL_N_PER_MM
    lpfl_n_per_mm: float = LPFL_N_PER_MM
    tendon_toe_strain: float = 0.01
    tendon_bundles: int = 3
    tendon_half_width_mm: float = 9.0
    """The patellar tendon is a broad band (about 25-30 mm wide); Lenhart et al. 2015 model it as
    6 parallel bundles. We use `tendon_bundles` bundles spread +-`tendon_half_width_mm` across the
    apex and the tuberosity, which gives the band its resistance to patellar spin."""
    ligament_toe_strain: float = 0.03
    mpfl_reference_strain: float = 0.0
    lateral_reference_strain: float = 0.0
    """Each retinaculum's strain in the reference (standing) pose, as OpenSim's Blankevoort
    ligaments give it: slack length = reference length / (1 + strain), so a negative strain is a
    ligament slack by that fraction (Lenhart et al. 2015's bundles: -0.12 to +0.01)."""
    iliopatellar_n_per_mm: float = ITB_PATELLAR_BAND_N_PER_MM
    vl_insertion: tuple[float, float, float] = (0.0, -0.05, 0.25)
    vm_insertion: tuple[float, float, float] = (0.0, -0.12, -0.28)
    """Quadriceps insertions relative to the patella base, as fractions of the patella's
    (thickness, height, width): the VMO inserts lower on the medial border than the VL laterally."""


@dataclass(frozen=True, eq=False)
class Bundle:
    """A quadriceps bundle: `share` of the total quadriceps force, from a patella point to an
    origin on the femur (or the pelvis, for the rectus femoris)."""

    name: str
    insertion_mm: FloatArray  # patella frame
    origin_mm: FloatArray  # femur frame, or pelvis frame when on_pelvis
    share: float
    on_pelvis: bool = False


@dataclass(frozen=True, eq=False)
class Spring:
    """A tension-only spring from a patella point to a point on the femur or tibia."""

    name: str
    patella_mm: FloatArray
    other_mm: FloatArray  # femur frame, or tibia frame when on_tibia
    n_per_strain: float
    slack_length_mm: float
    toe_strain: float
    on_tibia: bool = False
    itb: ItbAnchor | None = None  # the iliopatellar band: anchored on the ITB instead

    def anchor_mm(self, T_femur_tibia: FloatArray) -> FloatArray:
        """The spring's far end in the femur frame."""
        if self.itb is not None:
            return self.itb.in_femur(T_femur_tibia)
        return apply(T_femur_tibia, self.other_mm) if self.on_tibia else self.other_mm


@dataclass(frozen=True, eq=False)
class ExtensorModel:
    bundles: tuple[Bundle, ...]
    tendons: tuple[Spring, ...]
    ligaments: tuple[Spring, ...]
    wrap_centre_mm: FloatArray  # femur frame; the cylinder axis is the femur Z axis
    wrap_radius_mm: float
    params: ExtensorParams = field(default_factory=ExtensorParams)


@dataclass(frozen=True, eq=False)
class LineForce:
    """One element's pull on the patella at its attachment point (femur frame)."""

    point_mm: FloatArray
    force_n: FloatArray
    stiffness: FloatArray  # df/dp, 3x3, N/mm
    tension_n: float


def with_tissue(params: ExtensorParams, tissue: dict[str, float]) -> ExtensorParams:
    """`params` with the tissue parameters' values applied (kneeviz.scenario declares them,
    Affects.TISSUE): the retinacula's stiffness scales and reference strains and the quadriceps
    heads' size scales. At their defaults (scales 1, strains 0) this is `params` itself."""
    head_scale = {"VL": tissue["vastus_lateralis_share_scale"],
                  "VI": tissue["vastus_intermedius_share_scale"],
                  "RF": tissue["rectus_femoris_share_scale"]}
    lateral = tissue["lateral_retinaculum_stiffness_scale"]
    return replace(
        params,
        mpfl_n_per_mm=params.mpfl_n_per_mm * tissue["mpfl_stiffness_scale"],
        lpfl_n_per_mm=params.lpfl_n_per_mm * lateral,
        iliopatellar_n_per_mm=params.iliopatellar_n_per_mm * lateral,
        mpfl_reference_strain=tissue["mpfl_reference_strain"],
        lateral_reference_strain=tissue["lateral_retinaculum_reference_strain"],
        pcsa_cm2=tuple((head, area * head_scale.get(head, 1.0)) for head, area in params.pcsa_cm2),
    )


def bundle_shares(params: ExtensorParams, vmo_strength: float) -> dict[str, float]:
    """Force share of each bundle: PCSA fractions with the VM share scaled by `vmo_strength`
    (the other vasti make up the extensor moment, so shares are renormalised)."""
    raw = dict(params.pcsa_cm2)
    raw["VM"] = raw["VM"] * max(vmo_strength, 0.0)
    total = sum(raw.values())
    return {k: v / total for k, v in raw.items()}


def fit_wrap_cylinder(anatomy: Anatomy, max_radius_mm: float) -> tuple[FloatArray, float]:
    """Centre (femur frame; the axis is parallel to the femur's Z) and radius of the quadriceps
    wrap cylinder.

    In deep flexion the quadriceps tendon wraps over the DISTAL trochlear groove, so the cylinder
    follows it from underneath: a circle fitted (least squares, sagittal plane) to the distal half
    of the groove line, shrunk by 3 mm of tendon clearance, then shrunk further if needed to stay
    1 mm inside the femoral cartilage near the groove (the distal condyles). Its radius is capped at
    `max_radius_mm` (about 26 mm in OpenSim knee models).
    """
    v = np.asarray(anatomy.femur_cartilage.vertices_mm, dtype=float)
    g = np.asarray(anatomy.femur_landmarks.groove_line_mm, dtype=float)
    if g.ndim != 2 or len(g) < 4:
        return np.zeros(3), max_radius_mm
    zc = float(np.median(g[:, 2]))
    distal = g[g[:, 1] <= np.median(g[:, 1])]
    if len(distal) < 3:
        distal = g
    x, y = distal[:, 0], distal[:, 1]
    A = np.column_stack([2 * x, 2 * y, np.ones_like(x)])
    sol, *_ = np.linalg.lstsq(A, x**2 + y**2, rcond=None)
    centre = np.array([sol[0], sol[1]])
    fit_r = float(np.sqrt(max(sol[2] + sol[0] ** 2 + sol[1] ** 2, 0.0)))
    if not np.isfinite(fit_r) or fit_r < 8.0 or fit_r > 200.0:
        return np.zeros(3), max_radius_mm
    radius = min(max_radius_mm, fit_r - 3.0)
    band = v[np.abs(v[:, 2] - zc) < 15.0][:, :2]
    if len(band):
        radius = min(radius, float(np.linalg.norm(band - centre, axis=1).min()) - 1.0)
    if radius < 8.0:
        return np.zeros(3), max_radius_mm
    return np.array([centre[0], centre[1], zc]), float(radius)


def build_extensor_model(
    anatomy: Anatomy,
    T_femur_patella_ref: FloatArray,
    *,
    vmo_strength: float = 1.0,
    insall_salvati_ratio: float = 1.0,
    params: ExtensorParams | None = None,
) -> ExtensorModel:
    """Attach the extensor mechanism to this knee.

    `T_femur_patella_ref` is a reference patella pose near full extension: the vasti origins are
    laid out from the patella base there, and the retinacula are just taut there (slack length =
    length at that pose times 1 + reference strain). The tendon's slack length is the
    Insall-Salvati ratio times the patella height (Insall & Salvati 1971).
    """
    p = params if params is not None else ExtensorParams()
    plm = anatomy.patella_landmarks
    flm = anatomy.femur_landmarks
    h, w = plm.height_mm, plm.width_mm
    base = np.asarray(plm.base_mm, dtype=float)
    ins = {
        "RF": base + np.array([1.0, 0.0, 0.0]),
        "VI": base + np.array([-3.0, 0.0, 0.0]),
        "VL": base + np.array(p.vl_insertion) * (plm.thickness_mm, h, w),
        "VM": base + np.array(p.vm_insertion) * (plm.thickness_mm, h, w),
    }
    base_ref = apply(T_femur_patella_ref, base)

    def origin(height: float, angle_deg: float) -> FloatArray:
        """A point on the anterior femoral shaft `height` mm above the patella base whose line to
        the base makes `angle_deg` (+ lateral) with the anatomical shaft in the frontal plane."""
        lean = np.deg2rad(p.shaft_valgus_deg + angle_deg)
        return np.array(
            [p.shaft_anterior_mm, base_ref[1] + height, base_ref[2] + height * np.tan(lean)]
        )

    vi_origin = origin(p.vasti_origin_height_mm, 0.0)
    vl_origin = origin(p.vasti_origin_height_mm, p.vl_angle_deg)
    vm_origin = origin(p.vmo_origin_height_mm, -p.vmo_angle_deg)
    if anatomy.pelvis_landmarks is not None:
        aiis = np.asarray(anatomy.pelvis_landmarks.aiis_mm, dtype=float)
    else:
        aiis = np.asarray(p.default_aiis_mm, dtype=float)
    shares = bundle_shares(p, vmo_strength)
    bundles = (
        Bundle("RF", ins["RF"], aiis, shares["RF"], on_pelvis=True),
        Bundle("VL", ins["VL"], vl_origin, shares["VL"]),
        Bundle("VI", ins["VI"], vi_origin, shares["VI"]),
        Bundle("VM", ins["VM"], vm_origin, shares["VM"]),
    )
    nb = max(int(p.tendon_bundles), 1)
    offsets = np.linspace(-p.tendon_half_width_mm, p.tendon_half_width_mm, nb) if nb > 1 else [0.0]
    tendons = tuple(
        Spring(
            f"patellar_tendon_{k}",
            np.asarray(plm.apex_mm, dtype=float) + np.array([0.0, 0.0, dz]),
            np.asarray(anatomy.tibia_landmarks.tuberosity_mm, dtype=float)
            + np.array([0.0, 0.0, dz]),
            p.tendon_n_per_strain / nb,
            float(insall_salvati_ratio) * h,
            p.tendon_toe_strain,
            on_tibia=True,
        )
        for k, dz in enumerate(offsets)
    )
    ligs = []
    for name, pat, fem, k, strain in (
        ("MPFL", plm.medial_border_mm, flm.medial_epicondyle_mm, p.mpfl_n_per_mm,
         p.mpfl_reference_strain),
        ("LPFL", plm.lateral_border_mm, flm.lateral_epicondyle_mm, p.lpfl_n_per_mm,
         p.lateral_reference_strain),
    ):
        pat_a = np.asarray(pat, dtype=float)
        fem_a = np.asarray(fem, dtype=float)
        slack = float(np.linalg.norm(fem_a - apply(T_femur_patella_ref, pat_a))) / (
            1.0 + strain
        )
        ligs.append(Spring(name, pat_a, fem_a, k * slack, slack, p.ligament_toe_strain))
    centre, radius = fit_wrap_cylinder(anatomy, p.wrap_radius_mm)
    # The iliopatellar band, from the patella's lateral border across to the iliotibial band, which
    # is carried by both the femur and the tibia (kneeviz.mechanics.itb), with the stiffness
    # Merican et al. 2009 measured; just taut in the reference pose.
    if p.iliopatellar_n_per_mm > 0:
        lat = np.asarray(plm.lateral_border_mm, dtype=float)
        lat_ref = apply(T_femur_patella_ref, lat)
        anchor = itb_anchor(anatomy, float(lat_ref[1]))
        anchor_ref = anchor.in_femur(np.asarray(anatomy.T_femur_tibia_ref, dtype=float))
        slack = float(np.linalg.norm(anchor_ref - lat_ref)) / (1.0 + p.lateral_reference_strain)
        ligs.append(
            Spring("IPB", lat, anchor_ref, p.iliopatellar_n_per_mm * slack, slack,
                   p.ligament_toe_strain, itb=anchor)
        )
    return ExtensorModel(bundles, tendons, tuple(ligs), centre, radius, p)


def wrapped_target(
    point: FloatArray, origin: FloatArray, centre: FloatArray, radius: float
) -> tuple[FloatArray, float]:
    """Where a line from `point` towards `origin` heads when it wraps over the anterior side of the
    cylinder (axis along Z through `centre`): the first tangent point (3D, Z interpolated along the
    path) and the total path length. Without contact with the cylinder it is `origin` itself."""
    P = point[:2] - centre[:2]
    Q = origin[:2] - centre[:2]
    dP, dO = float(np.hypot(*P)), float(np.hypot(*Q))
    straight = float(np.linalg.norm(origin - point))
    if dP <= radius * 1.0001 or dO <= radius * 1.0001:
        return origin, straight
    phi_P = np.arctan2(P[1], P[0])
    phi_O = np.arctan2(Q[1], Q[0])
    tP = phi_P + np.arccos(radius / dP)
    tO = phi_O - np.arccos(radius / dO)
    arc = (tO - tP + np.pi) % (2.0 * np.pi) - np.pi
    if arc <= 0.0:
        return origin, straight
    lP = float(np.sqrt(dP**2 - radius**2))
    lO = float(np.sqrt(dO**2 - radius**2))
    total2d = lP + radius * arc + lO
    z = point[2] + (origin[2] - point[2]) * lP / total2d
    tangent = np.array(
        [centre[0] + radius * np.cos(tP), centre[1] + radius * np.sin(tP), z]
    )
    total = float(np.hypot(total2d, origin[2] - point[2]))
    return tangent, total


def pull(point: FloatArray, target: FloatArray, force: float) -> LineForce:
    """A prescribed force from `point` towards `target`; stiffness from the line's rotation."""
    d = target - point
    L = float(np.linalg.norm(d))
    e = d / L
    S = -(force / L) * (np.eye(3) - np.outer(e, e))
    return LineForce(point, force * e, S, force)


def spring_tension(length: float, spring: Spring) -> tuple[float, float]:
    """Tension (N) and dT/dL (N/mm) of a tension-only spring with a quadratic toe region."""
    L0 = spring.slack_length_mm
    e = (length - L0) / L0
    k = spring.n_per_strain
    et = spring.toe_strain
    if e <= 0.0:
        return 0.0, 0.0
    if e < et:
        return k * e * e / (2.0 * et), k * e / et / L0
    return k * (e - 0.5 * et), k / L0


SLACK_JACOBIAN_FRACTION = 0.02
"""A slack spring has no stiffness, so a Newton solver cannot see that moving the patella would
re-tension it (a slack patellar tendon leaves the patella free to slide along the groove, and the
solver stalls). The stiffness reported to the solver never drops below this fraction of the taut
stiffness; forces (and so the residual and the answer) are unchanged."""


def spring_force(
    point: FloatArray, other: FloatArray, spring: Spring, slack_floor: bool = False
) -> LineForce:
    """A tension-only spring's pull; `slack_floor` for springs that must be taut at equilibrium
    (the patellar tendon balances the quadriceps), see SLACK_JACOBIAN_FRACTION."""
    d = other - point
    L = float(np.linalg.norm(d))
    e = d / L
    T, dT = spring_tension(L, spring)
    if slack_floor:
        dT = max(dT, SLACK_JACOBIAN_FRACTION * spring.n_per_strain / spring.slack_length_mm)
    S = -(dT * np.outer(e, e) + (T / L) * (np.eye(3) - np.outer(e, e)))
    return LineForce(point, T * e, S, T)
