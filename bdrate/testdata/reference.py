#!/usr/bin/env python3
"""Independent reference values for bdrate's tests (run once; output in reference.txt).

Plain Python, no numpy/scipy. The interpolants are evaluated point by point
and integrated numerically (composite Simpson, 200 000 intervals) instead of
in closed form as the Go code does; the cubic least-squares fit is solved
exactly with fractions.Fraction on the unscaled log rates.
"""
from fractions import Fraction
import math

CASES = {
    # FAU-LMS/bjontegaard README: x265 presets, PSNR.
    "x265_psnr": (
        [(9487.76, 40.037), (4593.60, 38.615), (2486.44, 36.845), (1358.24, 34.851)],
        [(9787.80, 40.121), (4469.00, 38.651), (2451.52, 36.970), (1356.24, 34.987)],
    ),
    # A widely copied BD-PSNR demo (sample 2).
    "demo_psnr": (
        [(57118, 40.18), (41684, 36.18), (29502, 32.24), (20640, 31.02)],
        [(56350, 40.09), (40985, 36.21), (29265, 32.17), (20403, 30.24)],
    ),
    # Made up, VMAF-like, 6 against 5 points.
    "vmaf_6_5": (
        [(500, 55.2), (1000, 70.1), (2000, 82.4), (4000, 90.3), (8000, 95.1), (12000, 96.8)],
        [(400, 58.0), (900, 73.5), (1800, 85.2), (3500, 92.0), (7000, 95.9)],
    ),
}


def pchip_slopes(x, y):
    n = len(x)
    h = [x[i + 1] - x[i] for i in range(n - 1)]
    m = [(y[i + 1] - y[i]) / h[i] for i in range(n - 1)]
    d = [0.0] * n
    for k in range(1, n - 1):
        if m[k - 1] > 0 and m[k] > 0 or m[k - 1] < 0 and m[k] < 0:
            w1 = 2 * h[k] + h[k - 1]
            w2 = h[k] + 2 * h[k - 1]
            d[k] = (w1 + w2) / (w1 / m[k - 1] + w2 / m[k])

    def end(h0, h1, m0, m1):
        v = ((2 * h0 + h1) * m0 - h0 * m1) / (h0 + h1)
        if math.copysign(1, v) != math.copysign(1, m0) or v == 0:
            return 0.0
        if math.copysign(1, m0) != math.copysign(1, m1) and abs(v) > abs(3 * m0):
            return 3 * m0
        return v

    d[0] = end(h[0], h[1], m[0], m[1])
    d[-1] = end(h[-1], h[-2], m[-1], m[-2])
    return d


def pchip(x, y):
    d = pchip_slopes(x, y)

    def f(v):
        k = 0
        while k < len(x) - 2 and v > x[k + 1]:
            k += 1
        h = x[k + 1] - x[k]
        t = (v - x[k]) / h
        return ((2 * t**3 - 3 * t**2 + 1) * y[k] + (t**3 - 2 * t**2 + t) * h * d[k]
                + (-2 * t**3 + 3 * t**2) * y[k + 1] + (t**3 - t**2) * h * d[k + 1])
    return f


def cubic(x, y):
    xs = [Fraction(v) for v in x]
    ys = [Fraction(v) for v in y]
    a = [[sum(xv ** (r + c) for xv in xs) for c in range(4)] + [sum(xv ** r * yv for xv, yv in zip(xs, ys))] for r in range(4)]
    for col in range(4):
        piv = next(r for r in range(col, 4) if a[r][col] != 0)
        a[col], a[piv] = a[piv], a[col]
        for r in range(4):
            if r != col:
                f = a[r][col] / a[col][col]
                a[r] = [a[r][c] - f * a[col][c] for c in range(5)]
    coef = [float(a[r][4] / a[r][r]) for r in range(4)]
    return lambda v: coef[0] + coef[1] * v + coef[2] * v**2 + coef[3] * v**3


def simpson(f, lo, hi, n=200000):
    h = (hi - lo) / n
    s = f(lo) + f(hi)
    for i in range(1, n):
        s += f(lo + i * h) * (4 if i % 2 else 2)
    return s * h / 3


def bd(anchor, test, method, what):
    out = []
    for pts in (anchor, test):
        pts = sorted(pts)
        lr = [math.log(r) for r, _ in pts]
        q = [qq for _, qq in pts]
        out.append((lr, q))
    (lra, qa), (lrt, qt) = out
    interp = pchip if method == "pchip" else cubic
    if what == "rate":
        lo, hi = max(qa[0], qt[0]), min(qa[-1], qt[-1])
        ia = simpson(interp(qa, lra), lo, hi)
        it = simpson(interp(qt, lrt), lo, hi)
        return (math.exp((it - ia) / (hi - lo)) - 1) * 100
    lo, hi = max(lra[0], lrt[0]), min(lra[-1], lrt[-1])
    ia = simpson(interp(lra, qa), lo, hi)
    it = simpson(interp(lrt, qt), lo, hi)
    return (it - ia) / (hi - lo)


for name, (anchor, test) in CASES.items():
    for method in ("pchip", "cubic"):
        print(f"{name} {method} rate {bd(anchor, test, method, 'rate'):.9f} quality {bd(anchor, test, method, 'quality'):.9f}")
