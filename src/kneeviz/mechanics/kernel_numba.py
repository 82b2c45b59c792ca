"""The patella's wrench in one compiled pass: line elements, then every contact point.

This is the same arithmetic as kneeviz.mechanics.equilibrium.evaluate (numpy), written as loops so
numba compiles it into one call: the numpy version spends most of its time in the overhead of some
thirty array operations per evaluation on a few thousand points, this one in the arithmetic. The
two are held equal by tests (tests/mechanics/test_kernel.py); change them together. The
functions run without the interpreter lock (nogil), so a solve on a worker thread leaves the UI
thread free.

Import this module only through kneeviz.mechanics.kernel, which points numba's compilation cache at
kneeviz's own cache folder before numba is first imported.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from kneeviz.mechanics.line_kinds import BUNDLE, SPRING_FLOOR


@njit(cache=True, nogil=True)
def _trilinear(sd, sy, sz, shape, origin, spacing, x, y, z, corners, weights):  # type: ignore[no-untyped-def]
    """Fill the 8 corner indices and weights of point (x, y, z) as DistanceGrid._corners does;
    returns whether the point lies inside the grid."""
    fx = (x - origin[0]) / spacing
    fy = (y - origin[1]) / spacing
    fz = (z - origin[2]) / spacing
    inside = (
        fx >= 0.0 and fy >= 0.0 and fz >= 0.0
        and fx <= shape[0] - 1.000001 and fy <= shape[1] - 1.000001
        and fz <= shape[2] - 1.000001
    )
    ix = min(max(math.floor(fx), 0.0), shape[0] - 2.0)
    iy = min(max(math.floor(fy), 0.0), shape[1] - 2.0)
    iz = min(max(math.floor(fz), 0.0), shape[2] - 2.0)
    tx = min(max(fx - ix, 0.0), 1.0)
    ty = min(max(fy - iy, 0.0), 1.0)
    tz = min(max(fz - iz, 0.0), 1.0)
    ux, uy, uz = 1.0 - tx, 1.0 - ty, 1.0 - tz
    base = int(ix) * sy + int(iy) * sz + int(iz)
    corners[0], weights[0] = base, ux * uy * uz
    corners[1], weights[1] = base + 1, ux * uy * tz
    corners[2], weights[2] = base + sz, ux * ty * uz
    corners[3], weights[3] = base + sz + 1, ux * ty * tz
    corners[4], weights[4] = base + sy, tx * uy * uz
    corners[5], weights[5] = base + sy + 1, tx * uy * tz
    corners[6], weights[6] = base + sy + sz, tx * ty * uz
    corners[7], weights[7] = base + sy + sz + 1, tx * ty * tz
    return inside


@njit(cache=True, nogil=True)
def distances(R, o, points, sd, shape, origin, spacing, out):  # type: ignore[no-untyped-def]
    """DistanceGrid.distance of the patellar points posed by (R, o), into `out` (1e3 outside)."""
    sy = shape[1] * shape[2]
    sz = shape[2]
    corners = np.empty(8, dtype=np.int64)
    weights = np.empty(8)
    for i in range(points.shape[0]):
        px, py, pz = points[i, 0], points[i, 1], points[i, 2]
        x = px * R[0, 0] + py * R[0, 1] + pz * R[0, 2] + o[0]
        y = px * R[1, 0] + py * R[1, 1] + pz * R[1, 2] + o[1]
        z = px * R[2, 0] + py * R[2, 1] + pz * R[2, 2] + o[2]
        if not _trilinear(sd, sy, sz, shape, origin, spacing, x, y, z, corners, weights):
            out[i] = 1e3
            continue
        acc = 0.0
        for c in range(8):
            acc += weights[c] * sd[corners[c]]
        out[i] = acc


@njit(cache=True, nogil=True)
def _wrapped_target(p, org, centre, radius, out):  # type: ignore[no-untyped-def]
    """muscles.wrapped_target: where a line from p towards org leaves the cylinder (into out)."""
    Px, Py = p[0] - centre[0], p[1] - centre[1]
    Qx, Qy = org[0] - centre[0], org[1] - centre[1]
    dP = math.hypot(Px, Py)
    dO = math.hypot(Qx, Qy)
    out[0], out[1], out[2] = org[0], org[1], org[2]
    if dP <= radius * 1.0001 or dO <= radius * 1.0001:
        return
    tP = math.atan2(Py, Px) + math.acos(radius / dP)
    tO = math.atan2(Qy, Qx) - math.acos(radius / dO)
    two_pi = 2.0 * math.pi
    a = tO - tP + math.pi
    arc = a - two_pi * math.floor(a / two_pi) - math.pi  # Python's float modulo
    if arc <= 0.0:
        return
    lP = math.sqrt(dP * dP - radius * radius)
    lO = math.sqrt(dO * dO - radius * radius)
    total2d = lP + radius * arc + lO
    out[0] = centre[0] + radius * math.cos(tP)
    out[1] = centre[1] + radius * math.sin(tP)
    out[2] = p[2] + (org[2] - p[2]) * lP / total2d


@njit(cache=True, nogil=True)
def _mul3(A, B, out):  # type: ignore[no-untyped-def]
    """out = A @ B for 3x3 (inline: a BLAS call per product cost more than the product)."""
    for a in range(3):
        for b in range(3):
            out[a, b] = A[a, 0] * B[0, b] + A[a, 1] * B[1, b] + A[a, 2] * B[2, b]


@njit(cache=True, nogil=True)
def _log_law(strain, cap, out):  # type: ignore[no-untyped-def]
    """contact.foundation_pressure for one point: out[0] = p / K, out[1] = its slope."""
    if strain < cap:
        out[0] = -math.log1p(-strain)
        out[1] = 1.0 / (1.0 - strain)
    else:
        out[0] = -math.log1p(-cap) + (strain - cap) / (1.0 - cap)
        out[1] = 1.0 / (1.0 - cap)


@njit(cache=True, nogil=True)
def wrench(  # type: ignore[no-untyped-def]
    R, o, q,
    points, areas, thickness, sd, rest, shape, origin, spacing, modulus, depth_scale, min_depth,
    strain_cap, subset, do_contact,
    line_p, line_far, line_kind, line_share, line_k, line_slack, line_toe, slack_fraction,
    wrap_centre, wrap_radius,
    out_fm, out_jac, out_pts, out_press, out_force, out_lp, out_lf, out_ls, out_lt, out_sd,
):
    """Net force and moment (out_fm: Fx Fy Fz Mx My Mz) and 6x6 Jacobian (out_jac) on the patella
    posed by (R, o), as equilibrium.evaluate; per contact point the femur-frame point, pressure and
    force, and (out_sd) the signed distance of each point in `subset`; per line element its point,
    force, stiffness and tension. `subset` lists the contact points to test (all of them when it
    holds every index)."""
    n_lines = line_p.shape[0]
    F = np.zeros(3)
    M = np.zeros(3)
    J = np.zeros((6, 6))
    e = np.empty(3)
    tgt = np.empty(3)
    Rx = np.empty((3, 3))
    SR = np.empty((3, 3))
    RS = np.empty((3, 3))
    RSR = np.empty((3, 3))
    # ---- line elements (muscles.pull / spring_force, equilibrium._lines_wrench)
    rf = 0.0
    for li in range(n_lines):
        for a in range(3):
            out_lp[li, a] = (line_p[li, 0] * R[a, 0] + line_p[li, 1] * R[a, 1]
                             + line_p[li, 2] * R[a, 2] + o[a])
        p = out_lp[li]
        kind = line_kind[li]
        if kind == BUNDLE:
            _wrapped_target(p, line_far[li], wrap_centre, wrap_radius, tgt)
        else:
            tgt[0], tgt[1], tgt[2] = line_far[li, 0], line_far[li, 1], line_far[li, 2]
        dx, dy, dz = tgt[0] - p[0], tgt[1] - p[1], tgt[2] - p[2]
        L = math.sqrt(dx * dx + dy * dy + dz * dz)
        e[0], e[1], e[2] = dx / L, dy / L, dz / L
        if kind == BUNDLE:
            T = q * line_share[li]
            a_par = 0.0
            a_perp = T / L
        else:
            L0 = line_slack[li]
            k = line_k[li]
            et = line_toe[li]
            strain = (L - L0) / L0
            if strain <= 0.0:
                T, dT = 0.0, 0.0
            elif strain < et:
                T, dT = k * strain * strain / (2.0 * et), k * strain / et / L0
            else:
                T, dT = k * (strain - 0.5 * et), k / L0
            if kind == SPRING_FLOOR:
                dT = max(dT, slack_fraction * k / L0)
            a_par = dT
            a_perp = T / L
        out_lt[li] = T
        for a in range(3):
            out_lf[li, a] = T * e[a]
            for b in range(3):
                eye = 1.0 if a == b else 0.0
                out_ls[li, a, b] = -(a_par * e[a] * e[b] + a_perp * (eye - e[a] * e[b]))
        # dF/dt = S, dF/dw = -S [r]x, dM/dt = [r]x S, dM/dw = r f^T - (r.f) I - [r]x S [r]x
        r0, r1, r2 = p[0] - o[0], p[1] - o[1], p[2] - o[2]
        f0, f1, f2 = out_lf[li, 0], out_lf[li, 1], out_lf[li, 2]
        F[0] += f0
        F[1] += f1
        F[2] += f2
        M[0] += r1 * f2 - r2 * f1
        M[1] += r2 * f0 - r0 * f2
        M[2] += r0 * f1 - r1 * f0
        rf += r0 * f0 + r1 * f1 + r2 * f2
        Rx[0, 0], Rx[0, 1], Rx[0, 2] = 0.0, -r2, r1
        Rx[1, 0], Rx[1, 1], Rx[1, 2] = r2, 0.0, -r0
        Rx[2, 0], Rx[2, 1], Rx[2, 2] = -r1, r0, 0.0
        S = out_ls[li]
        _mul3(S, Rx, SR)
        _mul3(Rx, S, RS)
        _mul3(Rx, SR, RSR)
        r = (r0, r1, r2)
        f = (f0, f1, f2)
        for a in range(3):
            for b in range(3):
                J[a, b] -= SR[a, b]
                J[a, 3 + b] += S[a, b]
                J[3 + a, b] += r[a] * f[b] - RSR[a, b]
                J[3 + a, 3 + b] += RS[a, b]
    for a in range(3):
        J[3 + a, a] -= rf
    # ---- contact (DistanceGrid.penetrating, the elastic foundation)
    n_pts = points.shape[0]
    for i in range(n_pts):
        px, py, pz = points[i, 0], points[i, 1], points[i, 2]
        for a in range(3):
            out_pts[i, a] = px * R[a, 0] + py * R[a, 1] + pz * R[a, 2] + o[a]
        out_press[i] = 0.0
        out_force[i, 0] = 0.0
        out_force[i, 1] = 0.0
        out_force[i, 2] = 0.0
    if do_contact:
        sy = shape[1] * shape[2]
        sz = shape[2]
        corners = np.empty(8, dtype=np.int64)
        weights = np.empty(8)
        law = np.empty(2)
        Jc = np.zeros((6, 6))
        Fc = np.zeros(3)
        Mc = np.zeros(3)
        rfc = 0.0
        for s in range(subset.shape[0]):
            i = subset[s]
            x, y, z = out_pts[i, 0], out_pts[i, 1], out_pts[i, 2]
            if not _trilinear(sd, sy, sz, shape, origin, spacing, x, y, z, corners, weights):
                out_sd[i] = 1e3
                continue
            acc = 0.0
            for c in range(8):
                acc += weights[c] * sd[corners[c]]
            out_sd[i] = acc
            if not acc < 0.0:
                continue
            n0 = n1 = n2 = h_fem = 0.0
            for c in range(8):
                w = weights[c]
                j = corners[c]
                n0 += w * rest[j, 0]
                n1 += w * rest[j, 1]
                n2 += w * rest[j, 2]
                h_fem += w * rest[j, 3]
            nn = math.sqrt(n0 * n0 + n1 * n1 + n2 * n2)
            if nn > 1e-9:
                n0, n1, n2 = n0 / nn, n1 / nn, n2 / nn
            else:
                n0 = n1 = n2 = 0.0
            pen = max(-acc, 0.0)
            h = max(thickness[i] + h_fem, min_depth) * depth_scale
            _log_law(pen / h, strain_cap, law)
            k = modulus * law[1] * areas[i] / h
            out_press[i] = modulus * law[0]
            kp = out_press[i] * areas[i]
            f0, f1, f2 = kp * n0, kp * n1, kp * n2
            out_force[i, 0], out_force[i, 1], out_force[i, 2] = f0, f1, f2
            r0, r1, r2 = x - o[0], y - o[1], z - o[2]
            Fc[0] += f0
            Fc[1] += f1
            Fc[2] += f2
            Mc[0] += r1 * f2 - r2 * f1
            Mc[1] += r2 * f0 - r0 * f2
            Mc[2] += r0 * f1 - r1 * f0
            rfc += r0 * f0 + r1 * f1 + r2 * f2
            w0, w1, w2 = r1 * n2 - r2 * n1, r2 * n0 - r0 * n2, r0 * n1 - r1 * n0
            nv = (n0, n1, n2)
            wv = (w0, w1, w2)
            rv = (r0, r1, r2)
            fv = (f0, f1, f2)
            for a in range(3):
                for b in range(3):
                    Jc[a, 3 + b] -= k * nv[a] * nv[b]
                    Jc[a, b] -= k * nv[a] * wv[b]
                    Jc[3 + a, 3 + b] -= k * wv[a] * nv[b]
                    Jc[3 + a, b] += rv[a] * fv[b] - k * wv[a] * wv[b]
        for a in range(3):
            Jc[3 + a, a] -= rfc
            F[a] += Fc[a]
            M[a] += Mc[a]
        for a in range(6):
            for b in range(6):
                J[a, b] += Jc[a, b]
    for a in range(3):
        out_fm[a] = F[a]
        out_fm[3 + a] = M[a]
    for a in range(6):
        for b in range(6):
            out_jac[a, b] = J[a, b]
