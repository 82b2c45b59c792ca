"""The uncertainty table: what each uncertain model parameter may be, and who measured it.

Every curve kneeviz draws rests on tissue properties known only within ranges, and on one knee.
This table is the one place each uncertain parameter's published range or distribution and its
source are written, beside its declaration in the parameter table (kneeviz.scenario: range, unit,
what it affects). A study's sample (kneeviz.study.design), the sensitivity analysis, the app's
"How sure?" band (kneeviz.study.band) and docs/validation.md (`markdown_table`, checked by a test)
all read it.

Distributions: "uniform" between `low` and `high`; "normal" with `mean` and `sd`, truncated to
[`low`, `high`] (mean +- 2 sd where the source gives a mean and a standard deviation). Every
distribution lies inside its parameter's declared range (checked on import) and holds the model's
default value.

Not in the table: the hip's settings and a weak VMO or a high kneecap are the questions a study
asks (kneeviz.scenario's squat parameters and `vmo_strength`), not uncertainties; the patellar
tendon's stiffness (18 kN per unit strain, Lenhart 2015) is far stiffer than anything it balances,
so its uncertainty moves nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from kneeviz.scenario import PARAMETERS, Scenario

UNIFORM, NORMAL = "uniform", "normal"


@dataclass(frozen=True)
class Uncertain:
    """One uncertain parameter (a Scenario field) and the distribution a study samples it from."""

    name: str
    """The Scenario parameter (kneeviz.scenario.PARAMETERS)."""
    distribution: str
    """UNIFORM or NORMAL (truncated to [low, high])."""
    low: float
    high: float
    source: str
    """Who measured it, and how the range follows from what they report."""
    mean: float = 0.0
    sd: float = 0.0
    """For NORMAL only."""

    @property
    def label(self) -> str:
        return PARAMETERS[self.name].label

    def describe(self) -> str:
        """The distribution in words ("uniform 5..10 MPa", "normal 1.02 +- 0.13, 0.76..1.28")."""
        unit = PARAMETERS[self.name].unit
        u = f" {unit}" if unit else ""
        if self.distribution == UNIFORM:
            return f"uniform {self.low:g}..{self.high:g}{u}"
        return f"normal {self.mean:g} +- {self.sd:g}{u}, cut at {self.low:g}..{self.high:g}"


UNCERTAINTY: tuple[Uncertain, ...] = (
    Uncertain(
        "cartilage_modulus_mpa", UNIFORM, 5.0, 10.0,
        "the elastic foundation of the reference contact model: 5 MPa in its paper (Lenhart RL "
        "et al. 2015, Ann Biomed Eng 43:2675), 10 MPa in its published model file "
        "(lenhart2015.osim); Poisson's ratio 0.45 in both"),
    Uncertain(
        "cartilage_thickness_scale", NORMAL, 0.5, 1.5, mean=1.0, sd=0.32,
        source="patellar cartilage 4.1 +- 1.3 mm (Sullivan et al. 2014, Knee 21:1058): a "
        "coefficient of variation of 0.32 around the thickness the knee's meshes give"),
    Uncertain(
        "mpfl_stiffness_scale", UNIFORM, 0.63, 1.07,
        "the MPFL in situ, 4.4-7.5 N/mm around the model's 7 N/mm: it gives 60 % of the 74 N "
        "that holds the patella 10 mm lateral at 20 deg (Desio SM et al. 1998, Am J Sports Med "
        "26:59): 4.4 N/mm; cutting it removes 69.0 +- 5.9 N at 10 mm at 30 deg (cadaver study "
        "of anatomic MPFL reconstruction, PMC3748894): 6.3-7.5 N/mm"),
    Uncertain(
        "lateral_retinaculum_stiffness_scale", UNIFORM, 0.5, 1.4,
        "the lateral bands were tested only isolated (Merican AM et al. 2009, J Biomech "
        "42:2323: iliotibial-patellar band 97 N/mm, lateral patellofemoral ligament 16 N/mm) and "
        "are scaled to in situ by the MPFL's in-situ / isolated ratio; that ratio's range "
        "(4.4-7.5 N/mm in situ over the isolated 42.5 +- 10.2 N/mm, Criscenti G et al. 2016, "
        "J Biomech) is 0.5-1.4 times the model's 7 / 42.5"),
    Uncertain(
        "mpfl_reference_strain", UNIFORM, -0.12, 0.01,
        "the reference strains of the MPFL and lateral patellofemoral ligament bundles in the "
        "reference contact model's file (lenhart2015.osim): -0.12 (slack) to +0.01"),
    Uncertain(
        "lateral_retinaculum_reference_strain", UNIFORM, -0.12, 0.01,
        "as the MPFL's (lenhart2015.osim: -0.12 to +0.01)"),
    Uncertain(
        "insall_salvati_ratio", NORMAL, 0.76, 1.28, mean=1.02, sd=0.13,
        source="patellar tendon length / patella length 1.02 +- 0.13 (Insall J, Salvati E 1971, "
        "Radiology 101:101): the tendon's slack length"),
    Uncertain(
        "vastus_lateralis_share_scale", NORMAL, 0.2, 1.8, mean=1.0, sd=0.41,
        source="the quadriceps heads' split: physiological cross-sections measured in vivo by "
        "MRI vary between people by VL 62 +- 25, VI 84 +- 12, VM 68 +- 27, RF 66 +- 12 cm2 "
        "(Narici MV et al. 1992, Eur J Appl Physiol 65:438): coefficients of variation 0.41, "
        "0.14, 0.39, 0.18 around the model's Ward 2009 areas (VM's own variation is the "
        "VMO-strength question)"),
    Uncertain(
        "vastus_intermedius_share_scale", NORMAL, 0.72, 1.28, mean=1.0, sd=0.14,
        source="as the vastus lateralis's (Narici 1992: coefficient of variation 0.14)"),
    Uncertain(
        "rectus_femoris_share_scale", NORMAL, 0.64, 1.36, mean=1.0, sd=0.18,
        source="as the vastus lateralis's (Narici 1992: coefficient of variation 0.18)"),
    Uncertain(
        "body_mass_kg", UNIFORM, 50.0, 100.0,
        "no single source: an adult range around the ICRP Publication 89 reference woman "
        "(60 kg) and man (73 kg), wide enough for the cohorts of the patellofemoral pain studies"),
)
"""Every uncertain parameter, in the order studies and charts list them."""

BY_NAME: dict[str, Uncertain] = {u.name: u for u in UNCERTAINTY}


def check_table(rows: tuple[Uncertain, ...]) -> None:
    """Each row names a declared parameter; its distribution lies inside the declared range and
    holds the model's default (a default outside its own uncertainty would be a contradiction)."""
    default = Scenario()
    for u in rows:
        if u.name not in PARAMETERS:
            raise RuntimeError(f"uncertainty of {u.name}: no such parameter is declared")
        p = PARAMETERS[u.name]
        if not p.low <= u.low < u.high <= p.high:
            raise RuntimeError(f"uncertainty of {u.name}: {u.low}..{u.high} is not inside "
                               f"{p.range_text()}")
        if not u.low <= getattr(default, u.name) <= u.high:
            raise RuntimeError(f"uncertainty of {u.name} does not hold its default")
        if u.distribution == NORMAL and not (u.sd > 0 and u.low <= u.mean <= u.high):
            raise RuntimeError(f"uncertainty of {u.name}: a bad normal distribution")
        if u.distribution not in (UNIFORM, NORMAL):
            raise RuntimeError(f"uncertainty of {u.name}: unknown distribution")


check_table(UNCERTAINTY)


def markdown_table() -> str:
    """The table as docs/validation.md shows it (a test keeps the two the same)."""
    lines = ["| parameter | default | distribution | source |", "|---|---|---|---|"]
    default = Scenario()
    for u in UNCERTAINTY:
        p = PARAMETERS[u.name]
        unit = f" {p.unit}" if p.unit else ""
        lines.append(f"| {p.label} (`{u.name}`) | {getattr(default, u.name):g}{unit} | "
                     f"{u.describe()} | {u.source} |")
    return "\n".join(lines)
