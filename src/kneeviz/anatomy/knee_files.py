"""How a built knee's files are laid out (the bundled knee, a population knee): which meshes it
has and the frame they are saved in. Read by the loader (kneeviz.anatomy.build) and written by the
builder (kneeviz.anatomy.default_knee); kept apart so that neither imports the other for it.
"""

from __future__ import annotations

KNEE_MESHES = ("femur", "patella", "tibia", "pelvis", "femur_cartilage", "patella_cartilage")
"""The meshes of a knee built from the atlas (default_knee.BuiltKnee), each in its bone frame."""
SAVED_IN_FEMUR_FRAME: dict[str, str] = {
    "tibia": "T_femur_tibia_ref", "pelvis": "T_femur_pelvis_ref",
    "patella": "T_femur_patella_atlas", "patella_cartilage": "T_femur_patella_atlas",
}
"""Where each of a saved knee's meshes stands in the femur's frame (the record's pose): the files
(default_knee.save_built_knee) hold the knee as one scan holds it, so that they load, or can be
cut and loaded, as a patient's knee. Saved each in its own bone frame, they put the tibia's
plateau 18 mm inside the condyles and the kneecap inside the femur when so loaded (issue 26)."""
MESHES_FRAME = "femur"
"""landmarks.json's `meshes_frame` when its files are in the femur's frame (load_anatomy_folder
brings each back to its bone frame); absent: each in its own bone frame."""
