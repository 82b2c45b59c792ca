"""Scenario files (`.kneeviz.json`): one squat as a teacher wants to reopen it next week.

A scenario file holds every Scenario parameter, which knee it was run on (the bundled default knee,
or a patient's mesh files with the sha256 of their contents, so a replaced file is noticed rather
than silently giving other numbers) and how it was viewed (camera preset, heat map, frame). It is
plain JSON with a format name and a version, so a file from a newer kneeviz is refused with a clear
message instead of being half understood.

Saving is atomic: the text goes to a temporary file in the same folder, is flushed to disk (fsync)
and then renamed over the old file (os.replace, atomic on POSIX and Windows). A crash or a full disk
in the middle leaves the previous file as it was. Loading validates everything and raises
KneevizError naming the file, the key and the allowed values.

This module is model-layer code: no Qt, VTK or pyvista.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kneeviz.errors import KneevizError
from kneeviz.file_paths import folder_problem, read_problem
from kneeviz.scenario import Scenario

if TYPE_CHECKING:
    from kneeviz.anatomy.knee import Anatomy

FORMAT_NAME = "kneeviz-scenario"
FORMAT_VERSION = 1
SUFFIX = ".kneeviz.json"
MAX_FILE_BYTES = 5_000_000
"""A scenario file is a few kilobytes; anything far larger is not one (and is not read whole)."""

CAMERAS = ("front", "side", "closeup", "whole-leg", "skyline", "split")
"""Camera presets a file may name (the app's presets plus the renderer's split view)."""

BONE_FILES = ("femur", "patella", "tibia", "pelvis", "femur_cartilage", "patella_cartilage",
              "labels")
"""Files a patient's knee may name: femur, patella and tibia meshes are required, unless a label
map ("labels", with "label_values") holds them; the segmented cartilage meshes are optional."""

_TOP_KEYS = ("format", "version", "name", "scenario", "knee", "view")
_VIEW_KEYS = ("camera", "heatmap", "frame", "follow_knee", "playback_speed")


@dataclass(frozen=True)
class MeshRef:
    """One mesh file of a patient's knee and the sha256 of its bytes when the scenario was saved."""

    path: str
    sha256: str


@dataclass(frozen=True)
class KneeRef:
    """Which knee: the bundled default knee (`meshes` empty) or a patient's files by bone."""

    meshes: tuple[tuple[str, MeshRef], ...] = ()
    label_values: tuple[tuple[str, int], ...] = ()
    """For a label map: which label value is which tissue."""

    @property
    def is_default(self) -> bool:
        return not self.meshes

    def mesh(self, bone: str) -> MeshRef | None:
        return dict(self.meshes).get(bone)

    @classmethod
    def default(cls) -> KneeRef:
        return cls()

    @classmethod
    def from_inputs(cls, inputs: tuple[tuple[str, str], ...]) -> KneeRef:
        """Reference a loaded knee's inputs (Anatomy.inputs): files hashed, label values kept."""
        items: list[tuple[str, MeshRef]] = []
        values: list[tuple[str, int]] = []
        for role, value in inputs:
            if role.startswith("label:"):
                values.append((role[len("label:"):], int(value)))
            else:
                path = Path(value).expanduser().resolve()
                items.append((role, MeshRef(str(path), file_sha256(path))))
        return cls(tuple(items), tuple(values))

    @classmethod
    def from_files(
        cls,
        femur: str | Path,
        patella: str | Path,
        tibia: str | Path,
        pelvis: str | Path | None = None,
    ) -> KneeRef:
        """Reference the given files by absolute path, hashing their current contents."""
        items: list[tuple[str, MeshRef]] = []
        for bone, p in zip(BONE_FILES[:4], (femur, patella, tibia, pelvis), strict=True):
            if p is None:
                continue
            path = Path(p).expanduser().resolve()
            items.append((bone, MeshRef(str(path), file_sha256(path))))
        return cls(tuple(items))


@dataclass(frozen=True)
class ViewSettings:
    """How the scenario was shown: camera preset, pressure heat map, current frame, playback."""

    camera: str = "front"
    heatmap: bool = False
    frame: int = 0
    follow_knee: bool = False
    playback_speed: float = 1.0


@dataclass(frozen=True)
class ScenarioFile:
    """Everything a `.kneeviz.json` holds."""

    scenario: Scenario
    knee: KneeRef = field(default_factory=KneeRef)
    view: ViewSettings = field(default_factory=ViewSettings)
    name: str = ""

    @property
    def title(self) -> str:
        """A name for captions: the saved name, else the scenario's preset."""
        return self.name or self.scenario.preset


def file_sha256(path: str | Path) -> str:
    """sha256 of a file's bytes (read in chunks: patient meshes can be large)."""
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    except OSError as exc:
        where = read_problem(path)
        if where is not None:
            raise KneevizError(f"cannot read mesh file: {where}", path) from None
        if isinstance(exc, FileNotFoundError):
            raise KneevizError("mesh file not found", path) from None
        raise KneevizError(f"cannot read mesh file: {exc.strerror or exc}", path) from None
    return h.hexdigest()


def knee_ref_for(anatomy: Anatomy) -> KneeRef:
    """The KneeRef of a loaded knee: the default knee, or the files it was loaded from.

    A patient's knee records its source files (femur, patella, tibia[, pelvis]) in
    `Anatomy.sources`; the default knee's only source is the bundled assets folder."""
    from kneeviz.anatomy.build import assets_dir

    if anatomy.inputs:
        return KneeRef.from_inputs(anatomy.inputs)
    sources = tuple(anatomy.sources)
    if not sources or Path(sources[0]).resolve() == assets_dir().resolve():
        return KneeRef.default()
    if len(sources) not in (3, 4) or not all(Path(s).is_file() for s in sources):
        raise KneevizError(
            f"the knee {anatomy.name!r} was not loaded from mesh files this kneeviz can name "
            f"again (sources {list(sources)}): open it with --femur/--patella/--tibia first"
        )
    return KneeRef.from_files(*sources)


# -- writing ------------------------------------------------------------------------------------
def scenario_file_dict(doc: ScenarioFile) -> dict[str, Any]:
    """The JSON object of a scenario file (plain JSON types)."""
    knee: Any
    if doc.knee.is_default:
        knee = "default"
    else:
        knee = {bone: {"path": m.path, "sha256": m.sha256} for bone, m in doc.knee.meshes}
        if doc.knee.label_values:
            knee["label_values"] = dict(doc.knee.label_values)
    v = doc.view
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "name": doc.name,
        "scenario": doc.scenario.to_dict(),
        "knee": knee,
        "view": {
            "camera": v.camera,
            "heatmap": bool(v.heatmap),
            "frame": int(v.frame),
            "follow_knee": bool(v.follow_knee),
            "playback_speed": float(v.playback_speed),
        },
    }


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write `text` to `path` so that readers see either the old file or the whole new one.

    temp file in the same folder (same file system, so the rename is atomic) -> write -> flush ->
    fsync -> os.replace -> fsync the folder (so the rename itself survives a power cut). Any failure
    removes the temp file and leaves the old file untouched."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    problem = folder_problem(folder)
    if problem is not None:
        raise KneevizError(f"cannot save here: {problem}", target)
    try:
        old_mode = target.stat().st_mode & 0o777 if target.exists() else None
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise KneevizError(f"cannot save here: {exc.strerror or exc}", target) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        if old_mode is None:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp_name, 0o666 & ~umask)
        else:
            os.chmod(tmp_name, old_mode)
        os.replace(tmp_name, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        if isinstance(exc, OSError):
            raise KneevizError(f"could not save: {exc.strerror or exc}", target) from None
        raise
    _fsync_folder(folder)


def _fsync_folder(folder: Path) -> None:
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def save_scenario_file(path: str | Path, doc: ScenarioFile) -> Path:
    """Validate and write `doc` atomically; returns the path written."""
    doc.scenario.validate()
    _check_view(scenario_file_dict(doc)["view"], Path(path))
    text = json.dumps(scenario_file_dict(doc), indent=2, allow_nan=False) + "\n"
    atomic_write_text(path, text)
    return Path(path)


# -- reading ------------------------------------------------------------------------------------
def load_scenario_file(path: str | Path, *, check_meshes: bool = True) -> ScenarioFile:
    """Read and validate a scenario file.

    Every problem is a KneevizError naming the file: not found, not UTF-8, not JSON (with the line
    and column), not a kneeviz scenario, a newer or unknown format version, an unknown key, a value
    of the wrong type or outside its range (naming the key and the allowed range), a mesh file that
    is missing or whose contents changed since the scenario was saved (`check_meshes`)."""
    p = Path(path)
    data = _read_json(p)
    if not isinstance(data, dict):
        raise KneevizError(
            f"not a kneeviz scenario file: the JSON is a {type(data).__name__}, not an object", p
        )
    if data.get("format") != FORMAT_NAME:
        raise KneevizError(
            f'not a kneeviz scenario file: "format" is {data.get("format")!r}, '
            f"expected {FORMAT_NAME!r}",
            p,
        )
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise KneevizError(f'"version" must be a whole number, got {version!r}', p)
    if version > FORMAT_VERSION:
        raise KneevizError(
            f"scenario format version {version} is newer than this kneeviz reads (version "
            f"{FORMAT_VERSION}): update kneeviz to open it",
            p,
        )
    if version < 1:
        raise KneevizError(
            f"unknown scenario format version {version}: this kneeviz reads version "
            f"{FORMAT_VERSION}",
            p,
        )
    unknown = sorted(str(k) for k in data if k not in _TOP_KEYS)
    if unknown:
        raise KneevizError(
            f"unknown key(s) {', '.join(unknown)}: a version {version} scenario file has "
            f"{', '.join(_TOP_KEYS)}",
            p,
        )
    name = data.get("name", "")
    if not isinstance(name, str):
        raise KneevizError(f'"name" must be a string, got {name!r}', p)
    if "scenario" not in data:
        raise KneevizError('the "scenario" section is missing', p)
    scenario = _parse_scenario(data["scenario"], p)
    knee = _parse_knee(data.get("knee", "default"), p, check_meshes)
    view = _check_view(data.get("view", {}), p)
    return ScenarioFile(scenario=scenario, knee=knee, view=view, name=name)


def _read_json(p: Path) -> Any:
    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise KneevizError(
                f"{size / 1e6:.1f} MB is far too large for a scenario file: is it the right file?",
                p,
            )
        raw = p.read_bytes()
    except IsADirectoryError:
        raise KneevizError("is a folder, not a scenario file", p) from None
    except OSError as exc:
        where = read_problem(p)
        if where is not None:
            raise KneevizError(f"cannot read scenario file: {where}", p) from None
        if isinstance(exc, FileNotFoundError):
            raise KneevizError("scenario file not found", p) from None
        raise KneevizError(f"cannot read scenario file: {exc.strerror or exc}", p) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise KneevizError(
            f"not a text (UTF-8) file: bad byte at line {line}; is it a scenario file?", p
        ) from None
    if not text.strip():
        raise KneevizError("the scenario file is empty", p)

    def _no_constants(name: str) -> Any:
        raise ValueError(f"{name} is not allowed in a scenario file")

    try:
        return json.loads(text, parse_constant=_no_constants)
    except json.JSONDecodeError as exc:
        raise KneevizError(
            f"corrupt scenario file: invalid JSON at line {exc.lineno} column {exc.colno} "
            f"({exc.msg})",
            p,
        ) from None
    except ValueError as exc:
        raise KneevizError(f"corrupt scenario file: {exc}", p) from None


def _parse_scenario(data: Any, p: Path) -> Scenario:
    if not isinstance(data, dict):
        raise KneevizError(f'"scenario" must be an object, got {type(data).__name__}', p)
    # Check key by key so the message names the key (Scenario's own message names the quantity
    # and its allowed range).
    for key, value in data.items():
        try:
            Scenario.from_dict({key: value})
        except KneevizError as exc:
            raise KneevizError(f"bad value for scenario.{key}: {exc}", p) from None
    try:
        return Scenario.from_dict(data)
    except KneevizError as exc:
        raise KneevizError(f"bad scenario: {exc}", p) from None


def _parse_knee(data: Any, p: Path, check_meshes: bool) -> KneeRef:
    if data == "default":
        return KneeRef.default()
    if not isinstance(data, dict):
        raise KneevizError(
            f'"knee" must be "default" or an object of mesh files by bone, got {data!r}', p
        )
    unknown = sorted(str(k) for k in data if k not in (*BONE_FILES, "label_values"))
    if unknown:
        raise KneevizError(
            f"unknown bone(s) {', '.join(unknown)} in \"knee\": use {', '.join(BONE_FILES)}", p
        )
    values: tuple[tuple[str, int], ...] = ()
    if "labels" in data:
        from kneeviz.anatomy.labelmap import LABEL_NAMES

        raw = data.get("label_values")
        if (not isinstance(raw, dict) or any(k not in LABEL_NAMES for k in raw)
                or any(isinstance(v, bool) or not isinstance(v, int) for v in raw.values())):
            raise KneevizError("knee.label_values must map tissue names ("
                               + ", ".join(LABEL_NAMES) + f") to whole numbers, got {raw!r}", p)
        values = tuple((str(k), int(v)) for k, v in raw.items())
        missing = [b for b in BONE_FILES[:3] if b not in raw]
    else:
        missing = [b for b in BONE_FILES[:3] if b not in data]
    if missing:
        raise KneevizError(f'"knee" lacks the {", ".join(missing)} mesh file(s) or label(s)', p)
    items: list[tuple[str, MeshRef]] = []
    for bone in BONE_FILES:
        if bone not in data:
            continue
        entry = data[bone]
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("path"), str)
            or not isinstance(entry.get("sha256"), str)
        ):
            raise KneevizError(
                f'knee.{bone} must be {{"path": "...", "sha256": "..."}}, got {entry!r}', p
            )
        digest = entry["sha256"].lower()
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise KneevizError(
                f"knee.{bone}.sha256 is not a sha256 hex digest (64 hex digits): "
                f"{entry['sha256']!r}",
                p,
            )
        ref = MeshRef(entry["path"], digest)
        if check_meshes:
            ref = _locate_mesh(bone, ref, p)
        items.append((bone, ref))
    return KneeRef(tuple(items), values)


def _locate_mesh(bone: str, ref: MeshRef, scenario_path: Path) -> MeshRef:
    """The mesh at its saved path, else beside the scenario file (a folder copied elsewhere);
    refuse a missing file or one whose contents changed."""
    saved = Path(ref.path).expanduser()
    candidates = [saved]
    if not saved.is_absolute():
        candidates.insert(0, scenario_path.parent / saved)
    candidates.append(scenario_path.parent / saved.name)
    found = next((c for c in candidates if c.is_file()), None)
    if found is None:
        blocked = read_problem(candidates[0])
        why = f" ({blocked})" if blocked is not None else ""
        raise KneevizError(
            f"the {bone} mesh file {ref.path} is missing{why} (also looked beside the scenario "
            f"file): put it back or re-save the scenario with the knee opened from its new place",
            scenario_path,
        )
    digest = file_sha256(found)
    if digest != ref.sha256:
        raise KneevizError(
            f"the {bone} mesh file {found} has changed since the scenario was saved (sha256 "
            f"{digest[:12]}... is not the saved {ref.sha256[:12]}...): the results would differ; "
            "open the knee again and re-save the scenario if the change is intended",
            scenario_path,
        )
    return MeshRef(str(found.resolve()), digest)


def _check_view(data: Any, p: Path) -> ViewSettings:
    if not isinstance(data, dict):
        raise KneevizError(f'"view" must be an object, got {type(data).__name__}', p)
    unknown = sorted(str(k) for k in data if k not in _VIEW_KEYS)
    if unknown:
        raise KneevizError(
            f"unknown view key(s) {', '.join(unknown)}: known are {', '.join(_VIEW_KEYS)}", p
        )
    v = ViewSettings()
    camera = data.get("camera", v.camera)
    if camera not in CAMERAS:
        raise KneevizError(f"bad value for view.camera: {camera!r} is not one of "
                           f"{', '.join(CAMERAS)}", p)
    for key in ("heatmap", "follow_knee"):
        if key in data and not isinstance(data[key], bool):
            raise KneevizError(f"bad value for view.{key}: must be true or false, "
                               f"got {data[key]!r}", p)
    frame = data.get("frame", v.frame)
    if isinstance(frame, bool) or not isinstance(frame, int) or frame < 0:
        raise KneevizError(f"bad value for view.frame: must be a whole number >= 0, "
                           f"got {frame!r}", p)
    speed = data.get("playback_speed", v.playback_speed)
    if (
        isinstance(speed, bool)
        or not isinstance(speed, int | float)
        or not math.isfinite(speed)
        or not 0.05 <= speed <= 10.0
    ):
        raise KneevizError(f"bad value for view.playback_speed: {speed!r} is outside "
                           "0.05..10", p)
    return replace(
        v,
        camera=str(camera),
        heatmap=bool(data.get("heatmap", v.heatmap)),
        frame=int(frame),
        follow_knee=bool(data.get("follow_knee", v.follow_knee)),
        playback_speed=float(speed),
    )


# -- from a file to a knee ----------------------------------------------------------------------
def anatomy_for(doc: ScenarioFile, warnings: list[str] | None = None) -> Anatomy:
    """Load the knee a scenario file names (the default knee re-cut to the scenario's sulcus
    angle if it sets one). What the loader repaired or assumed in a patient's files is appended
    to `warnings` ("FILE: sentence")."""
    from kneeviz.anatomy.build import anatomy_from_files, load_default_anatomy

    if doc.knee.is_default:
        return load_default_anatomy(doc.scenario.sulcus_angle_deg)
    refs = dict(doc.knee.meshes)
    if "labels" in refs:
        from kneeviz.anatomy.labelmap import anatomy_from_label_map

        return anatomy_from_label_map(refs["labels"].path, dict(doc.knee.label_values), warnings)
    pelvis = refs.get("pelvis")
    fc, pc = refs.get("femur_cartilage"), refs.get("patella_cartilage")
    return anatomy_from_files(
        refs["femur"].path,
        refs["patella"].path,
        refs["tibia"].path,
        pelvis.path if pelvis is not None else None,
        warnings=warnings,
        femur_cartilage=fc.path if fc is not None else None,
        patella_cartilage=pc.path if pc is not None else None,
    )
