"""Fit L(x) = a * x^(-alpha) + c by nonlinear least squares (Levenberg-Marquardt, NumPy only).

The fit runs on theta = (log a, alpha, c), where the problem is better conditioned (a can span
many orders of magnitude). Initialisation: for a grid of candidate floors c below min(L), a
straight-line fit of log(L - c) against log x gives alpha and log a; the candidate with the
smallest squared error starts Levenberg-Marquardt. Standard errors come from the covariance
s^2 (J^T J)^-1 at the optimum, s^2 = RSS / (n - 3); the error of a is a * se(log a) (delta
method). With n = 3 points the fit interpolates and there is no error estimate (inf).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["PowerLawFit", "fit_power_law"]


@dataclass
class PowerLawFit:
    """Result of `fit_power_law`: L(x) = a * x^(-alpha) + c with standard errors."""

    a: float
    alpha: float
    c: float
    a_err: float
    alpha_err: float
    c_err: float
    rss: float
    n: int
    converged: bool

    def predict(self, x) -> np.ndarray:
        """L at x (array-like)."""
        return self.a * np.asarray(x, dtype=np.float64) ** (-self.alpha) + self.c

    def __str__(self) -> str:
        return (f"L = {self.a:.4g}(+-{self.a_err:.2g}) * x^-{self.alpha:.3f}(+-{self.alpha_err:.3f})"
                f" + {self.c:.4f}(+-{self.c_err:.4f})")


def _model(theta, lx):
    return np.exp(theta[0] - theta[1] * lx) + theta[2]


def _jacobian(theta, lx):
    p = np.exp(theta[0] - theta[1] * lx)  # a x^-alpha
    return np.stack([p, -lx * p, np.ones_like(lx)], axis=1)  # d/dlog a, d/dalpha, d/dc


def _initial_guess(lx, y):
    lo, span = y.min(), np.ptp(y) or abs(y.min()) or 1.0
    best = None
    for c in lo - span * np.r_[0.0, np.geomspace(1e-3, 10, 24)]:
        d = y - c
        if (d <= 0).any():
            continue
        slope, icept = np.polyfit(lx, np.log(d), 1)
        theta = np.array([icept, -slope, c])
        rss = np.sum((_model(theta, lx) - y) ** 2)
        if best is None or rss < best[0]:
            best = (rss, theta)
    return best[1]


def fit_power_law(x, loss, p0=None, max_iter: int = 500, tol: float = 1e-12) -> PowerLawFit:
    """Fit loss = a * x^(-alpha) + c by Levenberg-Marquardt and return values with errors.

    Args:
        x: positive scale values (parameters N, examples D or compute C), at least 3.
        loss: the loss at each x.
        p0: optional starting (a, alpha, c); default from a grid over c and a log-log line.
        max_iter: iteration limit (default 500).
        tol: stop when the relative drop in squared error is below tol (default 1e-12).

    Returns:
        PowerLawFit with a, alpha, c, their standard errors, the residual sum of squares and
        whether LM converged.

    Example:
        >>> import numpy as np
        >>> from glassbox.scaling import fit_power_law
        >>> x = np.array([1e3, 3e3, 1e4, 3e4, 1e5])
        >>> fit = fit_power_law(x, 50 * x ** -0.5 + 0.2)
        >>> round(fit.alpha, 3), round(fit.c, 3)
        (0.5, 0.2)
    """
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(loss, dtype=np.float64).ravel()
    if x.shape != y.shape or x.size < 3:
        raise ValueError(f"fit_power_law: need >= 3 (x, loss) pairs of equal length; received "
                         f"{x.size} x and {y.size} loss values")
    if (x <= 0).any() or not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError("fit_power_law: x must be positive and x, loss finite")
    lx = np.log(x)
    if p0 is None:
        theta = _initial_guess(lx, y)
    else:
        theta = np.array([np.log(p0[0]), p0[1], p0[2]], dtype=np.float64)
    r = _model(theta, lx) - y
    rss = r @ r
    lam, converged = 1e-3, False
    for _ in range(max_iter):
        J = _jacobian(theta, lx)
        A, g = J.T @ J, J.T @ r
        while True:
            step = np.linalg.solve(A + lam * np.diag(np.diag(A) + 1e-12), -g)
            new = theta + step
            r_new = _model(new, lx) - y
            rss_new = r_new @ r_new
            if np.isfinite(rss_new) and rss_new <= rss:
                break
            lam *= 10
            if lam > 1e12:
                break
        if lam > 1e12:
            converged = True  # no downhill step left: at a minimum (to precision)
            break
        drop = (rss - rss_new) / max(rss, 1e-300)
        theta, r, rss = new, r_new, rss_new
        lam = max(lam / 10, 1e-12)
        if drop < tol or rss < 1e-30:
            converged = True
            break
    n = x.size
    J = _jacobian(theta, lx)
    if n > 3:
        s2 = rss / (n - 3)
        cov = s2 * np.linalg.pinv(J.T @ J)
        se = np.sqrt(np.clip(np.diag(cov), 0, None))
    else:
        se = np.full(3, np.inf)
    a = float(np.exp(theta[0]))
    return PowerLawFit(a=a, alpha=float(theta[1]), c=float(theta[2]), a_err=float(a * se[0]),
                       alpha_err=float(se[1]), c_err=float(se[2]), rss=float(rss), n=n,
                       converged=converged)
