"""File > Open knee: one dialog with the three bone files, and the load off the UI thread."""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

MESH_FILTER = "Meshes (*.stl *.obj *.ply *.off *.vtk *.vtp);;All files (*)"
LABEL_FILTER = "Label maps (*.nii *.nii.gz *.nrrd);;All files (*)"
BONES = ("femur", "patella", "tibia")
CARTILAGE = ("femur_cartilage", "patella_cartilage")
"""Optional: the patient's segmented cartilage (else it is grown on the bone)."""


class OpenKneeDialog(QDialog):
    """Pick the femur, patella and tibia of one knee (segmented meshes in one scan frame)."""

    def __init__(self, parent: QWidget | None = None, start_dir: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle("Open knee")
        grid = QGridLayout(self)
        grid.addWidget(QLabel("Choose the three bones of one knee (STL, OBJ, PLY, OFF, VTK, VTP),"
                              " segmented from the same scan."), 0, 0, 1, 3)
        self.edits: dict[str, QLineEdit] = {}
        self.start_dir = start_dir
        for row, bone in enumerate(BONES + CARTILAGE, start=1):
            edit = QLineEdit()
            if bone in CARTILAGE:
                edit.setPlaceholderText("optional: segmented cartilage (else grown on the bone)")
            browse = QPushButton("Browse...")
            browse.clicked.connect(lambda _c=False, b=bone: self._browse(b))
            grid.addWidget(QLabel(bone.replace("_", " ").capitalize()), row, 0)
            grid.addWidget(edit, row, 1)
            grid.addWidget(browse, row, 2)
            self.edits[bone] = edit
        row = len(BONES) + len(CARTILAGE) + 1
        grid.addWidget(QLabel("Or a segmentation label map (NIfTI, .seg.nrrd) and its labels, "
                              "e.g. femur=1 patella=2 tibia=3 femur_cartilage=4:"), row, 0, 1, 3)
        self.edits["labels"] = QLineEdit()
        browse = QPushButton("Browse...")
        browse.clicked.connect(lambda _c=False: self._browse("labels"))
        grid.addWidget(QLabel("Label map"), row + 1, 0)
        grid.addWidget(self.edits["labels"], row + 1, 1)
        grid.addWidget(browse, row + 1, 2)
        self.edits["label_values"] = QLineEdit()
        self.edits["label_values"].setPlaceholderText("femur=1 patella=2 tibia=3")
        grid.addWidget(QLabel("Labels"), row + 2, 0)
        grid.addWidget(self.edits["label_values"], row + 2, 1, 1, 2)
        grid.addWidget(QLabel("A knee MRI's partial femur and tibia are completed from the "
                              "atlas (shown ghosted; the axes are then estimated)."),
                       row + 3, 0, 1, 3)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        grid.addWidget(buttons, row + 4, 0, 1, 3)
        self.resize(720, 320)

    def _browse(self, bone: str) -> None:
        path, _ = QFileDialog.getOpenFileName(self, f"Choose the {bone.replace('_', ' ')}",
                                              self.start_dir,
                                              LABEL_FILTER if bone == "labels" else MESH_FILTER)
        if path:
            self.edits[bone].setText(path)
            self.start_dir = str(Path(path).parent)

    def paths(self) -> tuple[str, str, str]:
        f, p, t = (self.edits[b].text().strip() for b in BONES)
        return f, p, t

    def knee_mri(self) -> dict[str, str]:
        """The optional knee-MRI inputs filled in: cartilage paths, label map and its labels."""
        keys = (*CARTILAGE, "labels", "label_values")
        return {k: self.edits[k].text().strip() for k in keys if self.edits[k].text().strip()}

