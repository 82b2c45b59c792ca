"""File > Open knee: one dialog with the three bone files, and the load off the UI thread."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from pathlib import Path

from PyQt6.QtCore import QObject, QRunnable, pyqtSignal
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

from kneeviz.anatomy.knee import Anatomy
from kneeviz.errors import KneevizError

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


def load_knee_mri(femur: str, patella: str, tibia: str, extra: dict[str, str],
                  warnings: list[str]) -> Anatomy:
    """The knee the dialog names: a label map, or bone files with optional cartilage files."""
    if extra.get("labels"):
        from kneeviz.anatomy.labelmap import anatomy_from_label_map, parse_label_specs

        specs = extra.get("label_values", "").replace(",", " ").split()
        return anatomy_from_label_map(extra["labels"], parse_label_specs(specs, "labels"),
                                      warnings)
    from kneeviz.anatomy.build import anatomy_from_files

    return anatomy_from_files(femur, patella, tibia, warnings=warnings,
                              femur_cartilage=extra.get("femur_cartilage") or None,
                              patella_cartilage=extra.get("patella_cartilage") or None)


class LoadSignals(QObject):
    loaded = pyqtSignal(object)
    failed = pyqtSignal(str)


class LoadJob(QRunnable):
    """Builds an Anatomy from files in a worker thread (landmarks and cartilage take seconds)."""

    def __init__(self, load: Callable[[], Anatomy], signals: LoadSignals) -> None:
        super().__init__()
        self.load = load
        self.signals = signals

    def run(self) -> None:
        try:
            anatomy = self.load()
        except KneevizError as exc:
            self.signals.failed.emit(str(exc))
        except Exception as exc:  # an unexpected failure still must not kill the window
            traceback.print_exc()
            self.signals.failed.emit(f"the knee could not be loaded: {exc!r}")
        else:
            self.signals.loaded.emit(anatomy)
