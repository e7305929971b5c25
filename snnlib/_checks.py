"""Argument checks for the public boundary of snnlib.

Every public function validates its arguments once, here, and raises a
``ValueError`` whose message names the argument, says what was wrong and how to
fix it. Inner math stays free of checks.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

#: Largest magnitude a float32 tensor holds; parameters that enter TensorFlow in float32 stay below it.
FLOAT32_MAX = float(np.finfo(np.float32).max)
#: Largest seed TensorFlow's stateless random ops accept (int64).
SEED_MAX = 2**63 - 1


def _number(name: str, value: Any, want: str, unit: str) -> float:
    """``float(value)`` for real numbers only (complex, text and bools are refused)."""
    if isinstance(value, (bool, np.bool_, complex, np.complexfloating, str, bytes)):
        raise ValueError(f"{name} must be {want}{_u(unit)}, got {_short(value)}")
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{name} must be {want}{_u(unit)}, got {_short(value)}") from None


def positive(name: str, value: Any, *, unit: str = "", maximum: float | None = None) -> float:
    """Return ``value`` as a float, or raise if it is not a finite number > 0 (and <= ``maximum``)."""
    v = _number(name, value, "a number > 0", unit)
    if not math.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be a finite number > 0{_u(unit)}, got {_short(value)}")
    if maximum is not None and v > maximum:
        raise ValueError(f"{name} must be at most {maximum:g}{_u(unit)}, got {_short(value)}")
    return v


def non_negative(name: str, value: Any, *, unit: str = "", maximum: float | None = None) -> float:
    """Return ``value`` as a float, or raise if it is not a finite number >= 0 (and <= ``maximum``)."""
    v = _number(name, value, "a number >= 0", unit)
    if not math.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be a finite number >= 0{_u(unit)}, got {_short(value)}")
    if maximum is not None and v > maximum:
        raise ValueError(f"{name} must be at most {maximum:g}{_u(unit)}, got {_short(value)}")
    return v


def in_range(name: str, value: Any, lo: float, hi: float, *, unit: str = "") -> float:
    """Return ``value`` as a float in the closed interval [lo, hi], or raise."""
    v = _number(name, value, f"a number in [{lo}, {hi}]", unit)
    if not math.isfinite(v) or not lo <= v <= hi:
        raise ValueError(f"{name} must be in [{lo}, {hi}]{_u(unit)}, got {_short(value)}")
    return v


def positive_int(name: str, value: Any, *, minimum: int = 1, maximum: int | None = None) -> int:
    """Return ``value`` as an int in [``minimum``, ``maximum``] (bools are refused), or raise."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {_short(value)}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {_short(value)}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be an integer between {minimum} and {maximum}, got {_short(value)}")
    return int(value)


def one_of(name: str, value: Any, allowed: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``allowed``, else raise naming the choices."""
    allowed = tuple(allowed)
    try:
        known = isinstance(value, str) and value in allowed
    except TypeError:
        known = False
    if not known:
        choices = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{name} must be one of {choices}; got {_short(value)}")
    return value


def seed_value(name: str, value: Any) -> int:
    """Return an int seed in [0, 2**63 − 1] (what every NumPy and TensorFlow generator takes), or raise."""
    if (isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer))
            or not 0 <= value <= SEED_MAX):
        raise ValueError(f"{name} must be an integer between 0 and 2**63 - 1 (the random seed), "
                         f"got {_short(value)}")
    return int(value)


def finite_array(name: str, value: Any, *, ndim: int | tuple[int, ...] | None = None,
                 lo: float | None = None, hi: float | None = None) -> np.ndarray:
    """Return ``value`` as a float array, or raise if it has NaN/inf, a wrong rank or values outside [lo, hi]."""
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError, OverflowError):
        raw = None
    if raw is not None and np.issubdtype(raw.dtype, np.complexfloating):
        raise ValueError(f"{name} must be real, got complex values; pass its .real or abs()")
    if raw is not None and raw.dtype == object and all(isinstance(a, int) for a in raw.flat):
        raise ValueError(f"{name} holds integers beyond the 64-bit range (±9.2e18); use smaller values")
    if raw is None or not (np.issubdtype(raw.dtype, np.number) or raw.dtype == bool):
        raise ValueError(f"{name} must be an array of numbers, got {type(value).__name__}")
    arr = raw.astype(np.float64, copy=False)
    if ndim is not None:
        dims = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in dims:
            want = " or ".join(str(d) for d in dims)
            raise ValueError(f"{name} must have {want} dimension(s), got shape {arr.shape}")
    if arr.size and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values; clean or clip the data first")
    if lo is not None and arr.size and arr.min() < lo:
        raise ValueError(f"{name} must be >= {lo}, but its minimum is {arr.min():.4g}")
    if hi is not None and arr.size and arr.max() > hi:
        raise ValueError(f"{name} must be <= {hi}, but its maximum is {arr.max():.4g}")
    return arr


def _u(unit: str) -> str:
    return f" (in {unit})" if unit else ""


def _short(value: Any, limit: int = 60) -> str:
    """``repr(value)``, cut to ``limit`` characters so a huge argument cannot flood a message."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
