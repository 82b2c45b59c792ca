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

import hashlib
import json
import math
import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kneeviz.anatomy.knee_spec import (
    FILES,
    POPULATION_PREFIX,
    KneeSpec,
    check_sulcus_angle,
    parse_population_name,
)
from kneeviz.atomic import atomic_write_text
from kneeviz.errors import KneevizError
from kneeviz.file_paths import read_problem
from kneeviz.safe_read import expand_user, read_bounded, regular_file_stat
from kneeviz.scenario import Scenario
from kneeviz.view_state import (
    CAMERA_FRAMES,
    DEFAULT_CAMERA_FRAME,
    FILE_CAMERAS,
    OVERLAYS,
    PLAYBACK_SPEED_RANGE,
    ViewState,
)

if TYPE_CHECKING:
    from kneeviz.anatomy.knee import Anatomy

FORMAT_NAME = "kneeviz-scenario"
FORMAT_VERSION = 2
"""2: "view" holds the whole view state (kneeviz.view_state.ViewState: overlays, see-through, side
by side, ...) and "follow" for version 1's "follow_knee"; version 1 files are still read."""
SUFFIX = ".kneeviz.json"
MAX_FILE_BYTES = 5_000_000
"""A scenario file is a few kilobytes; anything far larger is not one (and is not read whole)."""

BONE_FILES = FILES
"""Files a scenario's knee may name (KneeSpec.files): femur, patella and tibia meshes are
required unless a label map ("labels", with "label_values") holds them."""

_TOP_KEYS = ("format", "version", "name", "scenario", "knee", "view", "motion")
_MOTION_KEYS = ("path", "sha256", "side", "stance")
"""A recorded motion driving the squat (kneeviz.motion.from_recording.RecordedScenario): its
file by path and content hash, like the meshes, and which leg and stance."""
_VIEW_STATE_KEYS = tuple(f.name for f in fields(ViewState))
_VIEW_KEYS = (*_VIEW_STATE_KEYS, "frame", "playback_speed")
_VIEW_KEYS_V1 = ("camera", "heatmap", "frame", "follow_knee", "playback_speed")


@dataclass(frozen=True)
class MeshRef:
    """One mesh file of a patient's knee and the sha256 of its bytes when the scenario was saved."""

    path: str
    sha256: str


@dataclass(frozen=True)
class KneeRef:
    """Which knee: the bundled default knee (`meshes` empty; optionally re-cut to a sulcus angle)
    or a patient's files by bone, each with the sha256 of its contents."""

    meshes: tuple[tuple[str, MeshRef], ...] = ()
    sulcus_angle_deg: float | None = None
    label_values: tuple[tuple[str, int], ...] = ()
    """For a label map: which label value is which tissue."""
    atlas_limb: int | None = None
    """A population knee (kneeviz.anatomy.population), written "atlas:07"."""

    @property
    def is_default(self) -> bool:
        return not self.meshes and self.atlas_limb is None

    def mesh(self, bone: str) -> MeshRef | None:
        return dict(self.meshes).get(bone)

    @property
    def spec(self) -> KneeSpec:
        """What the one knee loader (kneeviz.anatomy.loader) takes."""
        files = {bone: m.path for bone, m in self.meshes}
        return KneeSpec(**files, sulcus_angle_deg=self.sulcus_angle_deg,
                        label_values=self.label_values, atlas_limb=self.atlas_limb)

    @classmethod
    def default(cls, sulcus_angle_deg: float | None = None) -> KneeRef:
        return cls((), sulcus_angle_deg)

    @classmethod
    def from_spec(cls, spec: KneeSpec) -> KneeRef:
        """Reference a patient's knee's files (hashed now) and label values."""
        items = []
        for role, p in spec.files().items():
            path = Path(p).expanduser().resolve()
            items.append((role, MeshRef(str(path), file_sha256(path))))
        return cls(tuple(items), None, spec.label_values)

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
            path = expand_user(p, f"{bone} mesh").resolve()
            items.append((bone, MeshRef(str(path), file_sha256(path))))
        return cls(tuple(items))


@dataclass(frozen=True)
class ScenarioFile:
    """Everything a `.kneeviz.json` holds."""

    scenario: Scenario
    knee: KneeRef = field(default_factory=KneeRef)
    view: ViewState = field(default_factory=ViewState)
    """How it was shown (the window's view state)."""
    name: str = ""
    frame: int = 0
    """The frame on screen when it was saved."""
    playback_speed: float = 1.0

    @property
    def title(self) -> str:
        """A name for captions: the saved name, else the scenario's preset."""
        return self.name or self.scenario.preset


def file_sha256(path: str | Path) -> str:
    """sha256 of a file's bytes (read in chunks: patient meshes can be large)."""
    h = hashlib.sha256()
    regular_file_stat(path, "mesh file")  # a FIFO or device would block or never end
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
    """The KneeRef of a loaded knee: what it was built from (Anatomy.knee_spec), the files
    hashed as they are now."""
    spec = anatomy.knee_spec
    if spec is None:
        raise KneevizError(
            f"the knee {anatomy.name!r} was not loaded from files kneeviz can name again: "
            "open it with --femur/--patella/--tibia first"
        )
    if spec.atlas_limb is not None:
        return KneeRef(atlas_limb=spec.atlas_limb)
    if spec.is_default:
        return KneeRef.default(spec.sulcus_angle_deg)
    files = spec.files()
    missing = [p for p in files.values() if not Path(p).is_file()]
    if missing:
        raise KneevizError(
            f"the knee {anatomy.name!r} was loaded from {missing[0]}, which is no longer there: "
            "open the knee again from its files"
        )
    return KneeRef.from_spec(spec)


# -- writing ------------------------------------------------------------------------------------
def scenario_file_dict(doc: ScenarioFile) -> dict[str, Any]:
    """The JSON object of a scenario file (plain JSON types)."""
    knee: Any
    if doc.knee.atlas_limb is not None:
        knee = doc.knee.spec.name
    elif doc.knee.is_default:
        knee = ("default" if doc.knee.sulcus_angle_deg is None
                else {"sulcus_angle_deg": float(doc.knee.sulcus_angle_deg)})
    else:
        knee = {bone: {"path": m.path, "sha256": m.sha256} for bone, m in doc.knee.meshes}
        if doc.knee.label_values:
            knee["label_values"] = dict(doc.knee.label_values)
    v = doc.view
    from kneeviz.motion.from_recording import RecordedScenario, base_scenario

    out: dict[str, Any] = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "name": doc.name,
        "scenario": base_scenario(doc.scenario).to_dict(),
        "knee": knee,
        "view": {
            **{f.name: _view_value(getattr(v, f.name)) for f in fields(ViewState)},
            "frame": int(doc.frame),
            "playback_speed": float(doc.playback_speed),
        },
    }
    sc = doc.scenario
    if isinstance(sc, RecordedScenario):
        out["motion"] = {"path": str(Path(sc.motion_path).resolve()), "sha256": sc.motion_sha256,
                         "side": sc.side, "stance": sc.stance}
    return out


def save_scenario_file(path: str | Path, doc: ScenarioFile) -> Path:
    """Validate and write `doc` atomically; returns the path written."""
    doc.scenario.validate()
    _check_view(scenario_file_dict(doc)["view"], Path(path), FORMAT_VERSION)
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
    p = expand_user(path, "scenario file")
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
        raise KneevizError(f'"name" must be a string, got {type(name).__name__}', p)
    if len(name) > MAX_NAME_CHARS:
        raise KneevizError(
            f'"name" is {len(name):,} characters long: a scenario\'s name (shown in captions and '
            f"titles) is at most {MAX_NAME_CHARS}; shorten it", p)
    if "scenario" not in data:
        raise KneevizError('the "scenario" section is missing', p)
    scenario_data = data["scenario"]
    legacy_sulcus = None
    if isinstance(scenario_data, dict) and "sulcus_angle_deg" in scenario_data:
        # files saved before the knee's own parameters moved to "knee" kept it in "scenario"
        scenario_data = dict(scenario_data)
        legacy_sulcus = scenario_data.pop("sulcus_angle_deg")
    scenario = _parse_scenario(scenario_data, p)
    if "motion" in data:
        scenario = _parse_motion(data["motion"], p, scenario, check_meshes)
    knee = _parse_knee(data.get("knee", "default"), p, check_meshes)
    if legacy_sulcus is not None:
        if not knee.is_default:
            raise KneevizError("bad value for scenario.sulcus_angle_deg: a patient's groove is "
                               "their own and cannot be re-cut", p)
        try:
            knee = KneeRef.default(check_sulcus_angle(legacy_sulcus))
        except KneevizError as exc:
            raise KneevizError(f"bad value for scenario.sulcus_angle_deg: {exc}", p) from None
    view, frame, speed = _check_view(data.get("view", {}), p, version)
    return ScenarioFile(scenario=scenario, knee=knee, view=view, name=name, frame=frame,
                        playback_speed=speed)


MAX_NAME_CHARS = 1000
"""A scenario's name is a title for captions: a few words, not megabytes."""
MAX_NUMBER_CHARS = 40
"""A parameter is a number like 12.5 or 1e-3; a number written with more characters than this
(a 400-digit integer, a megabyte of digits) is refused before Python converts it."""
MAX_NESTING = 32
"""A scenario file nests objects three deep; deeper nesting is refused before parsing."""


def _number(kind: type) -> Any:
    def parse(text: str) -> Any:
        if len(text) > MAX_NUMBER_CHARS:
            raise ValueError(
                f"a number written with {len(text):,} characters ({text[:12]}...) is not a "
                f"scenario value (at most {MAX_NUMBER_CHARS})"
            )
        value = kind(text)
        if kind is float and not math.isfinite(value):
            raise ValueError(f"the number {text} is out of range")
        return value

    return parse


def _nesting_depth(text: str) -> int:
    """The deepest bracket nesting outside strings (a cheap pre-check: json's parser recurses)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_NESTING:
                    return deepest
        elif ch in "]}":
            depth -= 1
    return deepest


def _read_json(p: Path) -> Any:
    if not str(p).strip():
        raise KneevizError("the scenario file path is empty; give a .kneeviz.json file")
    raw = read_bounded(p, MAX_FILE_BYTES, "scenario file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise KneevizError(
            f"not a text (UTF-8) file: bad byte at line {line}; is it a scenario file?", p
        ) from None
    if not text.strip():
        raise KneevizError("the scenario file is empty", p)
    if _nesting_depth(text) > MAX_NESTING:
        raise KneevizError(
            f"corrupt scenario file: the JSON nests more than {MAX_NESTING} levels deep "
            "(a scenario file nests 3); is it the right file?",
            p,
        )

    def _no_constants(name: str) -> Any:
        raise ValueError(f"{name} is not allowed in a scenario file")

    try:
        return json.loads(text, parse_constant=_no_constants, parse_int=_number(int),
                          parse_float=_number(float))
    except json.JSONDecodeError as exc:
        raise KneevizError(
            f"corrupt scenario file: invalid JSON at line {exc.lineno} column {exc.colno} "
            f"({exc.msg})",
            p,
        ) from None
    except (ValueError, OverflowError) as exc:
        raise KneevizError(f"corrupt scenario file: {exc}", p) from None
    except RecursionError:
        raise KneevizError("corrupt scenario file: the JSON nests too deeply", p) from None


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
    if isinstance(data, str) and data.startswith(POPULATION_PREFIX):
        try:
            return KneeRef(atlas_limb=parse_population_name(data))
        except KneevizError as exc:
            raise KneevizError(f"bad value for knee: {exc}", p) from None
    if isinstance(data, dict) and set(data) == {"sulcus_angle_deg"}:
        try:
            return KneeRef.default(check_sulcus_angle(data["sulcus_angle_deg"]))
        except KneevizError as exc:
            raise KneevizError(f"bad value for knee.sulcus_angle_deg: {exc}", p) from None
    if not isinstance(data, dict):
        raise KneevizError(
            f'"knee" must be "default", a population knee ("atlas:07") or an object of mesh '
            f'files by bone, got {data!r}', p
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
    return KneeRef(tuple(items), None, values)


def _parse_motion(data: Any, p: Path, scenario: Scenario, check_files: bool) -> Scenario:
    """The scenario driven by the saved motion file (found and checked like a mesh)."""
    from kneeviz.motion.from_recording import RecordedScenario

    if not isinstance(data, dict) or not isinstance(data.get("path"), str) or not isinstance(
            data.get("sha256"), str):
        raise KneevizError(f'"motion" must be {{"path": "...", "sha256": "...", "side": "r", '
                           f'"stance": "both"}}, got {data!r}', p)
    unknown = sorted(str(k) for k in data if k not in _MOTION_KEYS)
    if unknown:
        raise KneevizError(f"unknown key(s) {', '.join(unknown)} in \"motion\": use "
                           f"{', '.join(_MOTION_KEYS)}", p)
    ref = MeshRef(data["path"], data["sha256"].lower())
    if check_files:
        ref = _locate_mesh("motion", ref, p, what="motion file")
    fields_ = {f.name: getattr(scenario, f.name) for f in fields(Scenario)}
    try:
        return RecordedScenario(**fields_, motion_path=ref.path, motion_sha256=ref.sha256,
                                side=str(data.get("side", "r")),
                                stance=str(data.get("stance", "both"))).validate()
    except KneevizError as exc:
        raise KneevizError(f"bad motion: {exc}", p) from None


def _locate_mesh(bone: str, ref: MeshRef, scenario_path: Path, what: str = "") -> MeshRef:
    """The mesh at its saved path, else beside the scenario file (a folder copied elsewhere);
    refuse a missing file or one whose contents changed."""
    try:
        saved = expand_user(ref.path, f"{bone} mesh")
    except KneevizError as exc:
        raise KneevizError(f"knee.{bone}.path {ref.path!r}: {exc.problem}", scenario_path) from None
    if len(ref.path) > 4096:
        raise KneevizError(
            f"knee.{bone}.path is {len(ref.path):,} characters long, longer than any path the "
            "file system allows: is the scenario file damaged?",
            scenario_path,
        )
    candidates = [saved]
    if not saved.is_absolute():
        candidates.insert(0, scenario_path.parent / saved)
    candidates.append(scenario_path.parent / saved.name)
    found = next((c for c in candidates if _exists(c)), None)
    what = what or f"{bone} mesh file"
    again = "the motion" if what == "motion file" else "the knee"
    if found is None:
        try:
            blocked = read_problem(candidates[0])
        except OSError:
            blocked = None
        why = f" ({blocked})" if blocked is not None else ""
        raise KneevizError(
            f"the {what} {ref.path} is missing{why} (also looked beside the scenario "
            f"file): put it back or re-save the scenario with {again} opened from its new place",
            scenario_path,
        )
    try:
        digest = file_sha256(found)
    except KneevizError as exc:  # a FIFO, a device, a folder, unreadable: say which bone
        raise KneevizError(f"the {bone} mesh file {exc}", scenario_path) from None
    if digest != ref.sha256:
        raise KneevizError(
            f"the {what} {found} has changed since the scenario was saved (sha256 "
            f"{digest[:12]}... is not the saved {ref.sha256[:12]}...): the results would differ; "
            f"open {again} again and re-save the scenario if the change is intended",
            scenario_path,
        )
    return MeshRef(str(found.resolve()), digest)


def _exists(path: Path) -> bool:
    """Whether anything is at `path` (a FIFO or a device too: file_sha256 then refuses it by
    name); a path the OS cannot even look up (too long, NUL byte) is not there."""
    try:
        os.stat(path)
    except (OSError, ValueError):
        return False
    return True


def _view_value(value: Any) -> Any:
    """A view-state value as plain JSON (overlays as a sorted list)."""
    return sorted(value) if isinstance(value, frozenset) else value


def _check_view(data: Any, p: Path, version: int) -> tuple[ViewState, int, float]:
    """The view state, frame and playback speed of a file's "view" object, each checked."""
    if not isinstance(data, dict):
        raise KneevizError(f'"view" must be an object, got {type(data).__name__}', p)
    known = _VIEW_KEYS_V1 if version == 1 else _VIEW_KEYS
    unknown = sorted(str(k) for k in data if k not in known)
    if unknown:
        raise KneevizError(
            f"unknown view key(s) {', '.join(unknown)}: known are {', '.join(known)}", p
        )
    data = dict(data)
    if version == 1 and "follow_knee" in data:
        data["follow"] = data.pop("follow_knee")
    v = ViewState()
    changes: dict[str, Any] = {}
    for f in fields(ViewState):
        if f.name not in data:
            continue
        value, default = data[f.name], getattr(v, f.name)
        if f.name == "camera":
            if value not in FILE_CAMERAS:
                raise KneevizError(f"bad value for view.camera: {value!r} is not one of "
                                   f"{', '.join(FILE_CAMERAS)}", p)
            if "camera_frame" not in data:  # a file from before the frame was saved
                changes["camera_frame"] = DEFAULT_CAMERA_FRAME.get(str(value), v.camera_frame)
        elif f.name == "camera_frame":
            if not isinstance(value, str) or value not in CAMERA_FRAMES:
                raise KneevizError(f"bad value for view.camera_frame: {str(value)[:80]!r} is "
                                   f"not one of {', '.join(CAMERA_FRAMES)}", p)
        elif f.name == "overlays":
            if not isinstance(value, list) or any(o not in OVERLAYS for o in value):
                raise KneevizError(f"bad value for view.overlays: must be a list of "
                                   f"{', '.join(OVERLAYS)}, got {str(value)[:80]!r}", p)
            value = frozenset(value)
        elif isinstance(default, bool) and not isinstance(value, bool):
            raise KneevizError(f"bad value for view.{f.name}: must be true or false, "
                               f"got {str(value)[:80]!r}", p)
        changes[f.name] = value
    frame = data.get("frame", 0)
    if isinstance(frame, bool) or not isinstance(frame, int) or frame < 0:
        raise KneevizError(f"bad value for view.frame: must be a whole number >= 0, "
                           f"got {frame!r}", p)
    speed = data.get("playback_speed", 1.0)
    lo, hi = PLAYBACK_SPEED_RANGE
    if (
        isinstance(speed, bool)
        or not isinstance(speed, int | float)
        or not math.isfinite(speed)
        or not lo <= speed <= hi
    ):
        raise KneevizError(f"bad value for view.playback_speed: {speed!r} is outside "
                           f"{lo:g}..{hi:g}", p)
    return replace(v, **changes), int(frame), float(speed)


# -- from a file to a knee ----------------------------------------------------------------------
def anatomy_for(doc: ScenarioFile, warnings: list[str] | None = None) -> Anatomy:
    """Load the knee a scenario file names, through the one knee loader. What the loader repaired
    or assumed in a patient's files is appended to `warnings` ("FILE: sentence")."""
    from kneeviz.anatomy.loader import load_knee

    return load_knee(doc.knee.spec, warnings)
