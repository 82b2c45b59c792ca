"""The knee as a binary glTF (.glb) a phone opens: the femur, tibia, kneecap and their cartilage,
one material per part, and either one frame or the whole squat as node animation.

glTF 2.0 as the Khronos specification has it: metres, +Y up, the model's front towards +Z. Each
bone is a node with its mesh; each cartilage layer a child node of its bone (it moves with it).
The squat is one animation: per bone a translation and a rotation channel (unit quaternions
x, y, z, w), LINEAR interpolation, keyed at the squat's own frame times; animated nodes carry
translation/rotation, never a matrix (the specification's rule). Written with pygltflib (the
`takehome` extra); trimesh's glTF writer (5.x) writes no animation.

Frames that are not results (TakeHome.usable False: not solved, or withheld by the model) draw
the kneecap faded, as the window does. A glTF material's opacity cannot be animated without an
extension most viewers lack, so the file holds the kneecap twice: as it is, and faded
(parts.faded, named for it); both follow the kneecap's poses and a STEP scale channel shows one
and shrinks the other to nothing at each frame. A squat whose every frame is a result holds the
kneecap once, as before; a single frame that is not a result is written with the faded kneecap.

Axes: kneeviz's frame is X anterior, Y up, Z lateral (right knee). glTF's +Z is the asset's
front, so glTF = (-Z, Y, X) of kneeviz: a proper rotation R, applied to vertices (scaled to
metres) and conjugated into the poses (R A R^T, s R t). A viewer facing the model sees the knee
from the front, a right knee's outer side on the viewer's left, as facing the patient.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.spatial.transform import Rotation

from kneeviz import __version__
from kneeviz.atomic import atomic_write_bytes
from kneeviz.errors import KneevizError
from kneeviz.takehome.parts import (
    GHOST_LOOK,
    PART_WORDS,
    Part,
    PartLook,
    bone_poses,
    faded,
    frame_times_s,
    knee_parts,
)

if TYPE_CHECKING:
    from kneeviz.takehome.content import TakeHome

SUFFIXES = (".glb",)
R_GLTF_MODEL = np.array([[0.0, 0.0, -1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
"""kneeviz (X anterior, Y up, Z lateral) -> glTF (X right of a viewer in front, Y up, Z front)."""
M_PER_MM = 1e-3
ARRAY_BUFFER, ELEMENT_ARRAY_BUFFER = 34962, 34963
FLOAT, UNSIGNED_SHORT, UNSIGNED_INT = 5126, 5123, 5125


def _pygltflib() -> Any:
    """pygltflib, or one line saying how to install it (an optional extra)."""
    try:
        import pygltflib
    except ImportError:
        raise KneevizError("writing .glb files needs pygltflib: pip install "
                           "'kneeviz[takehome]' (or pip install pygltflib)") from None
    return pygltflib


def check_glb_path(path: str | Path) -> Path:
    p = Path(path)
    if p.suffix.lower() not in SUFFIXES:
        raise KneevizError(f"a 3D file for phones is binary glTF: the name must end in .glb, "
                           f"not {p.suffix or '(no extension)'}", p)
    return p


def srgb_to_linear(c: float) -> float:
    """glTF's baseColorFactor is linear; kneeviz's colours are sRGB."""
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def gltf_vertices(vertices_mm: np.ndarray) -> np.ndarray:
    return (M_PER_MM * np.asarray(vertices_mm, dtype=float) @ R_GLTF_MODEL.T).astype(np.float32)


def gltf_trs(T: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Poses (N, 4, 4) in kneeviz's frame (mm) -> glTF translations (N, 3) in metres and unit
    quaternions (N, 4) x, y, z, w, with signs kept continuous for LINEAR interpolation."""
    T = np.asarray(T, dtype=float).reshape(-1, 4, 4)
    A = np.einsum("ij,njk,lk->nil", R_GLTF_MODEL, T[:, :3, :3], R_GLTF_MODEL)
    t = M_PER_MM * T[:, :3, 3] @ R_GLTF_MODEL.T
    q = Rotation.from_matrix(A).as_quat()  # x, y, z, w
    for i in range(1, len(q)):
        if float(q[i] @ q[i - 1]) < 0.0:
            q[i] = -q[i]
    return t.astype(np.float32), q.astype(np.float32)


@dataclass
class _Blob:
    """The .glb's binary chunk with its buffer views and accessors."""

    data: bytearray = field(default_factory=bytearray)
    views: list[Any] = field(default_factory=list)
    accessors: list[Any] = field(default_factory=list)

    def add(self, array: np.ndarray, kind: str, component: int, target: int | None = None,
            bounds: bool = False) -> int:
        import pygltflib as g

        while len(self.data) % 4:
            self.data.append(0)
        raw = np.ascontiguousarray(array).tobytes()
        self.views.append(g.BufferView(buffer=0, byteOffset=len(self.data), byteLength=len(raw),
                                       target=target))
        self.data.extend(raw)
        count = int(array.shape[0]) if kind != "SCALAR" else int(array.size)
        acc = g.Accessor(bufferView=len(self.views) - 1, componentType=component, count=count,
                         type=kind)
        if bounds:
            flat = np.asarray(array, dtype=float).reshape(count, -1)
            acc.min = [float(x) for x in flat.min(axis=0)]
            acc.max = [float(x) for x in flat.max(axis=0)]
        self.accessors.append(acc)
        return len(self.accessors) - 1


def _material(name: str, look: PartLook) -> Any:
    import pygltflib as g

    rgba = [srgb_to_linear(c) for c in look.rgb] + [float(look.opacity)]
    return g.Material(
        name=name,
        pbrMetallicRoughness=g.PbrMetallicRoughness(baseColorFactor=rgba, metallicFactor=0.0,
                                                    roughnessFactor=float(look.roughness)),
        alphaMode="BLEND" if look.opacity < 1.0 else "OPAQUE",
        doubleSided=True,  # the cut ends of the bones: seen from inside, not a hole
    )


def _mesh(blob: _Blob, part: Part, material: int, name: str) -> Any:
    import pygltflib as g

    pos = blob.add(gltf_vertices(part.vertices_mm), "VEC3", FLOAT, ARRAY_BUFFER, bounds=True)
    nrm = blob.add((np.asarray(part.normals) @ R_GLTF_MODEL.T).astype(np.float32), "VEC3",
                   FLOAT, ARRAY_BUFFER)
    faces = np.asarray(part.faces)
    small = int(faces.max(initial=0)) < 65535
    idx = blob.add(faces.astype(np.uint16 if small else np.uint32).reshape(-1), "SCALAR",
                   UNSIGNED_SHORT if small else UNSIGNED_INT, ELEMENT_ARRAY_BUFFER)
    return g.Mesh(name=name, primitives=[g.Primitive(
        attributes=g.Attributes(POSITION=pos, NORMAL=nrm), indices=idx, material=material)])


@dataclass(frozen=True)
class GlbSummary:
    path: Path
    size_bytes: int
    n_triangles: int
    n_frames: int
    duration_s: float
    n_faded_frames: int = 0
    """Frames that are not results, where the kneecap is drawn faded."""


def build_glb(c: TakeHome, *, animate: bool = True, frame: int | None = None,
              ghost: bool = False) -> tuple[bytes, int, int, float, int]:
    """The .glb's bytes; (bytes, triangles, frames, duration, frames drawn faded). `animate`
    False: one frame (`frame`, default the one nearest 30 deg on the way down) as static node
    poses."""
    g = _pygltflib()
    parts = knee_parts(c.anatomy)
    poses = bone_poses(c.anatomy, c.this, c.healthy if ghost else None, follow=c.healthy)
    times = frame_times_s(c.this).astype(np.float32)
    if not animate:
        if frame is None:
            frame = c.frame_at(30.0)
        if frame is None:
            frame = int(c.descent()[-1])
        if not 0 <= frame < c.this.n_frames:
            raise KneevizError(f"frame {frame} is outside this squat's 0..{c.this.n_frames - 1}")
        poses = {k: v[frame:frame + 1] for k, v in poses.items()}
        times = times[:1]
    blob = _Blob()
    materials: list[Any] = []
    meshes: list[Any] = []
    nodes: list[Any] = []
    bone_node: dict[str, int] = {}
    children: dict[str, list[int]] = {}

    def material_for(name: str, look: PartLook) -> int:
        """One material per part, named in plain words (phone viewers list them)."""
        materials.append(_material(PART_WORDS.get(name, name), look))
        return len(materials) - 1

    def faded_mesh(p: Part, name: str) -> Any:
        """A kneecap part's mesh in its faded look (a frame that is not a result)."""
        return _mesh(blob, p, material_for(f"{p.name}_faded", faded(p.look)), name)

    part_by_name = {p.name: p for p in parts}
    shown = np.asarray(c.usable(c.this), dtype=bool)
    if frame is not None and not animate:
        shown = shown[frame:frame + 1]
    for p in parts:
        if p.bone == "patella" and not animate and not shown[0]:
            meshes.append(faded_mesh(p, p.name))
        else:
            meshes.append(_mesh(blob, p, material_for(p.name, p.look), p.name))
    # the bones (animated), their cartilage as children
    for bone in ("femur", "tibia", "patella"):
        t, q = gltf_trs(poses[bone][:1])
        nodes.append(g.Node(name=bone, mesh=[p.name for p in parts].index(bone),
                            translation=[float(x) for x in t[0]],
                            rotation=[float(x) for x in q[0]]))
        bone_node[bone] = len(nodes) - 1
    for p in parts:
        if p.name != p.bone:
            nodes.append(g.Node(name=p.name, mesh=[q.name for q in parts].index(p.name)))
            children.setdefault(p.bone, []).append(len(nodes) - 1)
    for bone, kids in children.items():
        nodes[bone_node[bone]].children = kids
    if ghost:
        gp = part_by_name["patella"]
        meshes.append(_mesh(blob, gp, material_for("healthy_patella", GHOST_LOOK),
                            "healthy_patella"))
        t, q = gltf_trs(poses["healthy_patella"][:1])
        nodes.append(g.Node(name="healthy_patella", mesh=len(meshes) - 1,
                            translation=[float(x) for x in t[0]],
                            rotation=[float(x) for x in q[0]]))
        bone_node["healthy_patella"] = len(nodes) - 1
    fading = animate and len(times) > 1 and not shown.all()
    if fading:
        kids = []
        for p in parts:
            if p.bone != "patella":
                continue
            meshes.append(faded_mesh(p, f"{p.name}_faded"))
            nodes.append(g.Node(name=f"{p.name}_faded", mesh=len(meshes) - 1))
            if p.name != p.bone:
                kids.append(len(nodes) - 1)
        faded_node = next(k for k, n in enumerate(nodes) if n.name == "patella_faded")
        nodes[faded_node].children = kids
        nodes[faded_node].translation = nodes[bone_node["patella"]].translation
        nodes[faded_node].rotation = nodes[bone_node["patella"]].rotation
        nodes[faded_node].scale = [0.0, 0.0, 0.0] if shown[0] else [1.0, 1.0, 1.0]
        nodes[bone_node["patella"]].scale = [1.0, 1.0, 1.0] if shown[0] else [0.0, 0.0, 0.0]
        bone_node["patella_faded"] = faded_node
    roots = [bone_node[b] for b in bone_node]
    animations = []
    if animate and len(times) > 1:
        inp = blob.add(times, "SCALAR", FLOAT, bounds=True)
        samplers, channels = [], []

        def channel(out: int, node: int, path: str, interpolation: str = "LINEAR") -> None:
            samplers.append(g.AnimationSampler(input=inp, output=out,
                                               interpolation=interpolation))
            channels.append(g.AnimationChannel(
                sampler=len(samplers) - 1, target=g.AnimationChannelTarget(node=node, path=path)))

        for name, node in bone_node.items():
            if name == "patella_faded":
                continue
            t, q = gltf_trs(poses[name])
            for path, values, kind in (("translation", t, "VEC3"), ("rotation", q, "VEC4")):
                out = blob.add(values, kind, FLOAT)
                channel(out, node, path)
                if fading and name == "patella":
                    channel(out, bone_node["patella_faded"], path)
        if fading:
            on = np.repeat(shown.astype(np.float32)[:, None], 3, axis=1)
            channel(blob.add(on, "VEC3", FLOAT), bone_node["patella"], "scale", "STEP")
            channel(blob.add(1.0 - on, "VEC3", FLOAT), bone_node["patella_faded"], "scale",
                    "STEP")
        animations.append(g.Animation(name="squat", samplers=samplers, channels=channels))
    gltf = g.GLTF2(
        asset=g.Asset(version="2.0", generator=f"kneeviz {__version__}"),
        scene=0,
        scenes=[g.Scene(name=f"{c.setting_name} squat", nodes=roots)],
        nodes=nodes, meshes=meshes, materials=materials, animations=animations,
        accessors=blob.accessors, bufferViews=blob.views,
        buffers=[g.Buffer(byteLength=len(blob.data))],
    )
    gltf.set_binary_blob(bytes(blob.data))
    data = b"".join(gltf.save_to_bytes())
    n_tri = sum(p.n_triangles for p in parts) + (part_by_name["patella"].n_triangles
                                                  if ghost else 0)
    if fading:
        n_tri += sum(p.n_triangles for p in parts if p.bone == "patella")
    duration = float(times[-1]) if len(times) > 1 else 0.0
    return data, n_tri, len(times), duration, int(np.sum(~shown))


def write_glb(path: str | Path, c: TakeHome, *, animate: bool = True, frame: int | None = None,
              ghost: bool = False) -> GlbSummary:
    """The .glb at `path`, written atomically."""
    target = check_glb_path(path)
    data, n_tri, n_frames, duration, n_faded = build_glb(c, animate=animate, frame=frame,
                                                         ghost=ghost)
    atomic_write_bytes(target, data, what="write the 3D file")
    return GlbSummary(target, len(data), n_tri, n_frames, duration, n_faded)
