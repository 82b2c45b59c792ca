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
BONES = ("femur", "patella", "tibia")


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
        for row, bone in enumerate(BONES, start=1):
            edit = QLineEdit()
            browse = QPushButton("Browse...")
            browse.clicked.connect(lambda _c=False, b=bone: self._browse(b))
            grid.addWidget(QLabel(bone.capitalize()), row, 0)
            grid.addWidget(edit, row, 1)
            grid.addWidget(browse, row, 2)
            self.edits[bone] = edit
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        grid.addWidget(buttons, len(BONES) + 1, 0, 1, 3)
        self.resize(640, 180)

    def _browse(self, bone: str) -> None:
        path, _ = QFileDialog.getOpenFileName(self, f"Choose the {bone}", self.start_dir,
                                              MESH_FILTER)
        if path:
            self.edits[bone].setText(path)
            self.start_dir = str(Path(path).parent)

    def paths(self) -> tuple[str, str, str]:
        f, p, t = (self.edits[b].text().strip() for b in BONES)
        return f, p, t
