"""The take-home .glb (kneeviz.takehome.gltf) loaded back: its meshes, nodes, one material per part
and an animation with the squat's frames and duration; the poses it plays put the kneecap where the
solve put it; a left knee stays a proper (unmirrored) rigid motion; and the Khronos glTF validator
(the npm package gltf-validator, installed into pytest's cache folder when Node.js and the npm
registry are there) reports no errors.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

pygltflib = pytest.importorskip("pygltflib", reason="pygltflib (the 'takehome' extra) is missing")

from takehome_fixtures import take_home, withheld_near  # noqa: E402


@pytest.fixture(scope="module")
def glb(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from kneeviz.takehome.gltf import write_glb

    c = take_home("pfp")
    path = tmp_path_factory.mktemp("glb") / "knee.glb"
    summary = write_glb(path, c, ghost=True)
    return c, path, summary


def accessor(g, blob: bytes, k: int) -> np.ndarray:  # type: ignore[no-untyped-def]
    a = g.accessors[k]
    v = g.bufferViews[a.bufferView]
    dtype = {5126: np.float32, 5123: np.uint16, 5125: np.uint32}[a.componentType]
    width = {"SCALAR": 1, "VEC3": 3, "VEC4": 4}[a.type]
    data = np.frombuffer(blob, dtype=dtype, count=a.count * width,
                         offset=(v.byteOffset or 0) + (a.byteOffset or 0))
    return data.reshape(a.count, width) if width > 1 else data


def test_it_loads_back_with_the_squats_animation(glb) -> None:  # type: ignore[no-untyped-def]
    c, path, summary = glb
    g = pygltflib.GLTF2().load(str(path))
    names = {n.name for n in g.nodes}
    assert {"femur", "tibia", "patella", "femur_cartilage", "patella_cartilage",
            "healthy_patella"} <= names
    assert len(g.meshes) == 6 and len(g.materials) == 6  # one material per part
    assert all(n.matrix is None for n in g.nodes), "animated nodes must carry TRS, not a matrix"
    (anim,) = g.animations
    blob = g.binary_blob()
    times = accessor(g, blob, anim.samplers[0].input)
    assert len(times) == c.this.n_frames == summary.n_frames
    duration = float(c.this["time_s"][-1] - c.this["time_s"][0])
    assert float(times[-1]) == pytest.approx(duration) == pytest.approx(summary.duration_s)
    assert np.all(np.diff(times) > 0)
    assert all(s.interpolation == "LINEAR" for s in anim.samplers)
    targets = {(g.nodes[ch.target.node].name, ch.target.path) for ch in anim.channels}
    assert targets == {(b, p) for b in ("femur", "tibia", "patella", "healthy_patella")
                       for p in ("translation", "rotation")}
    for ch in anim.channels:
        out = accessor(g, blob, anim.samplers[ch.sampler].output)
        assert len(out) == len(times)
        if ch.target.path == "rotation":
            assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
            assert np.all(np.einsum("ij,ij->i", out[1:], out[:-1]) > 0), "quaternion sign flips"
    assert path.stat().st_size < 3_000_000, "a few MB at most"


def test_trimesh_reads_the_meshes(glb) -> None:  # type: ignore[no-untyped-def]
    import trimesh

    _c, path, _ = glb
    scene = trimesh.load(path)
    assert {"femur", "tibia", "patella", "femur_cartilage", "patella_cartilage"} <= \
        set(scene.geometry)
    # metres, the knee at the origin (the view follows the knee): a bone's size in metres
    assert 0.02 < float(np.ptp(scene.geometry["patella"].vertices, axis=0).max()) < 0.08


def test_the_played_pose_puts_the_kneecap_where_the_solve_did(glb) -> None:  # type: ignore[no-untyped-def]
    """Rebuild the kneecap's world position at a frame from the file's TRS keys and compare
    with the solve's (relative to the healthy knee the view follows, in metres, glTF axes)."""
    from scipy.spatial.transform import Rotation

    from kneeviz.takehome.gltf import M_PER_MM, R_GLTF_MODEL

    c, path, _ = glb
    g = pygltflib.GLTF2().load(str(path))
    blob = g.binary_blob()
    (anim,) = g.animations
    keys = {}
    for ch in anim.channels:
        keys[(g.nodes[ch.target.node].name, ch.target.path)] = accessor(
            g, blob, anim.samplers[ch.sampler].output)
    i = c.frame_at(30.0)
    patella_mesh = next(m for m in g.meshes if m.name == "patella")
    v = accessor(g, blob, patella_mesh.primitives[0].attributes.POSITION).astype(float)
    q, t = keys[("patella", "rotation")][i], keys[("patella", "translation")][i]
    world = Rotation.from_quat(q).apply(v) + t
    knee = c.healthy.T_world_femur[i][:3, 3]
    T = c.this.T_world_patella[i]
    v_mm = (v / M_PER_MM) @ R_GLTF_MODEL  # back to the patella frame (a right knee: no mirror)
    expect = M_PER_MM * ((v_mm @ T[:3, :3].T + T[:3, 3] - knee) @ R_GLTF_MODEL.T)
    assert np.abs(world - expect).max() < 1e-5  # 10 micrometres


def test_a_left_knee_is_shown_as_a_left_knee_with_rigid_poses(glb) -> None:  # type: ignore[no-untyped-def]
    """A left knee is stored mirrored; the file mirrors it back into the vertices (faces turned
    to face outward again) and the poses (D T D: still rotations)."""
    from kneeviz.takehome.gltf import gltf_trs
    from kneeviz.takehome.parts import bone_poses, knee_parts

    c, _path, _ = glb
    left = replace(c.anatomy, side="left")
    right_parts, left_parts = knee_parts(c.anatomy), knee_parts(left)
    for r, lp in zip(right_parts, left_parts, strict=True):
        assert np.allclose(lp.vertices_mm[:, 2], -r.vertices_mm[:, 2])
        assert np.allclose(lp.vertices_mm[:, :2], r.vertices_mm[:, :2])
        # outward normals: the mirrored surface's normals are the mirrored normals
        assert np.allclose(lp.normals[:, 2], -r.normals[:, 2], atol=1e-9)
    poses = bone_poses(left, c.this)
    for T in poses.values():
        assert np.allclose(np.linalg.det(T[:, :3, :3]), 1.0)
        _t, q = gltf_trs(T)
        assert np.allclose(np.linalg.norm(q, axis=1), 1.0, atol=1e-6)


def test_one_frame_has_no_animation(tmp_path: Path) -> None:
    from kneeviz.takehome.gltf import write_glb

    c = take_home("pfp")
    s = write_glb(tmp_path / "still.glb", c, animate=False, frame=c.frame_at(45.0))
    g = pygltflib.GLTF2().load(str(s.path))
    assert not g.animations and s.n_frames == 1
    assert next(n for n in g.nodes if n.name == "patella").rotation is not None


def test_a_frame_that_is_not_a_result_shows_its_kneecap_faded(tmp_path: Path) -> None:
    """Frames the model withholds play the kneecap faded (the window's NOT_A_RESULT_OPACITY), the
    others as it is: a faded twin follows the kneecap's poses and STEP scale keys show exactly
    one of the two at every frame. A single such frame is written with the faded kneecap."""
    from kneeviz.result_check import NOT_A_RESULT_OPACITY
    from kneeviz.takehome.gltf import write_glb

    c, withheld = withheld_near(take_home("pfp"))
    assert withheld
    g = pygltflib.GLTF2().load(str(write_glb(tmp_path / "k.glb", c, ghost=True).path))
    blob = g.binary_blob()
    by_name = {n.name: k for k, n in enumerate(g.nodes)}
    twin = g.nodes[by_name["patella_faded"]]
    assert [g.nodes[k].name for k in twin.children] == ["patella_cartilage_faded"]
    for node in (twin, g.nodes[by_name["patella_cartilage_faded"]]):
        material = g.materials[g.meshes[node.mesh].primitives[0].material]
        assert material.alphaMode == "BLEND"
        assert material.pbrMetallicRoughness.baseColorFactor[3] == pytest.approx(
            NOT_A_RESULT_OPACITY)
        assert "not a result" in material.name
    (anim,) = g.animations
    keys = {(g.nodes[ch.target.node].name, ch.target.path):
            (accessor(g, blob, anim.samplers[ch.sampler].output),
             anim.samplers[ch.sampler].interpolation) for ch in anim.channels}
    shown = np.ones(c.this.n_frames, dtype=bool)
    shown[withheld] = False
    (on, how_on), (off, how_off) = keys[("patella", "scale")], keys[("patella_faded", "scale")]
    assert how_on == how_off == "STEP"
    assert np.array_equal(on, np.repeat(shown[:, None], 3, axis=1).astype(np.float32))
    assert np.array_equal(off, 1.0 - on)
    for path in ("translation", "rotation"):
        assert np.array_equal(keys[("patella_faded", path)][0], keys[("patella", path)][0])
    # one frame: faded where it is not a result, as it is where it is
    for k, alpha in ((withheld[0], NOT_A_RESULT_OPACITY), (c.frame_at(30.0), 1.0)):
        one = pygltflib.GLTF2().load(str(write_glb(tmp_path / f"f{k}.glb", c, animate=False,
                                                   frame=k).path))
        patella = next(m for m in one.meshes if m.name == "patella")
        assert one.materials[patella.primitives[0].material].pbrMetallicRoughness \
            .baseColorFactor[3] == pytest.approx(alpha)


# -- the Khronos validator ------------------------------------------------------------------
VALIDATE_JS = """
const validator = require('gltf-validator');
const fs = require('fs');
validator.validateBytes(new Uint8Array(fs.readFileSync(process.argv[2])), {maxIssues: 100})
  .then((r) => console.log(JSON.stringify(r.issues)))
  .catch((e) => { console.error(String(e)); process.exit(3); });
"""


@pytest.fixture(scope="module")
def validator(request: pytest.FixtureRequest) -> Path:
    """gltf-validator installed with npm into pytest's cache folder (reused when there; an install
    that does not run is installed again)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("Node.js and npm are not installed: the glTF validator is an npm package")
    folder = Path(request.config.cache.mkdir("kneeviz-gltf-validator"))
    script = folder / "validate.js"
    script.write_text(VALIDATE_JS)
    if not (folder / "node_modules" / "gltf-validator").is_dir():
        done = subprocess.run([npm, "install", "--prefix", str(folder), "--no-audit", "--no-fund",
                               "gltf-validator"], capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            pytest.skip(f"npm could not install gltf-validator (no registry?): "
                        f"{(done.stderr or done.stdout).strip().splitlines()[-1:]}")
    return script


@pytest.mark.parametrize("kind", ["animated", "one-frame", "some frames not results"])
def test_the_khronos_validator_finds_no_errors(validator: Path, tmp_path: Path,
                                                kind: str) -> None:
    from kneeviz.takehome.gltf import write_glb

    c = take_home("pfp") if kind != "some frames not results" else withheld_near(take_home())[0]
    path = write_glb(tmp_path / "k.glb", c, animate=kind != "one-frame", ghost=True).path
    done = subprocess.run(["node", str(validator), str(path)], capture_output=True, text=True,
                          timeout=120, cwd=validator.parent)
    assert done.returncode == 0, done.stderr
    issues = json.loads(done.stdout)
    assert issues["numErrors"] == 0, issues["messages"]
    assert issues["numWarnings"] == 0, issues["messages"]
