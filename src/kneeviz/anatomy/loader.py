"""The one way from a KneeSpec to an Anatomy, for the app, every command and scenario files.

The default knee comes from the bundled assets (re-cut when the spec sets a sulcus angle); a
population knee (atlas:01 .. atlas:26) from kneeviz.anatomy.population; a patient's knee from its
files, through the mesh reader's checks and repairs. What was repaired or
assumed in a patient's files is appended to `warnings` as "FILE: sentence", for the caller to show
(the command line prints them, the window lists them), so no caller can forget them.
"""

from __future__ import annotations

from kneeviz.anatomy.knee import Anatomy
from kneeviz.anatomy.knee_spec import KneeSpec


def load_knee(spec: KneeSpec, warnings: list[str] | None = None) -> Anatomy:
    """The knee `spec` describes (KneevizError naming the file or value on any problem)."""
    from kneeviz.anatomy.build import anatomy_from_files, load_default_anatomy

    spec.validate()
    if spec.atlas_limb is not None:
        from kneeviz.anatomy.population import load_population_knee

        return load_population_knee(spec.atlas_limb)
    if spec.is_default:
        return load_default_anatomy(spec.sulcus_angle_deg)
    if spec.labels is not None:
        from kneeviz.anatomy.labelmap import anatomy_from_label_map

        return anatomy_from_label_map(spec.labels, dict(spec.label_values), warnings)
    assert spec.femur is not None and spec.patella is not None and spec.tibia is not None
    return anatomy_from_files(spec.femur, spec.patella, spec.tibia, spec.pelvis,
                              warnings=warnings, femur_cartilage=spec.femur_cartilage,
                              patella_cartilage=spec.patella_cartilage)
