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


def positive(name: str, value: Any, *, unit: str = "") -> float:
    """Return ``value`` as a float, or raise if it is not a finite number > 0."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number > 0{_u(unit)}, got {value!r}") from None
    if not math.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be a finite number > 0{_u(unit)}, got {value!r}")
    return v


def non_negative(name: str, value: Any, *, unit: str = "") -> float:
    """Return ``value`` as a float, or raise if it is not a finite number >= 0."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number >= 0{_u(unit)}, got {value!r}") from None
    if not math.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be a finite number >= 0{_u(unit)}, got {value!r}")
    return v


def in_range(name: str, value: Any, lo: float, hi: float, *, unit: str = "") -> float:
    """Return ``value`` as a float in the closed interval [lo, hi], or raise."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number in [{lo}, {hi}]{_u(unit)}, got {value!r}") from None
    if not math.isfinite(v) or not lo <= v <= hi:
        raise ValueError(f"{name} must be in [{lo}, {hi}]{_u(unit)}, got {value!r}")
    return v


def positive_int(name: str, value: Any, *, minimum: int = 1) -> int:
    """Return ``value`` as an int >= ``minimum`` (bools are refused), or raise."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def one_of(name: str, value: Any, allowed: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``allowed``, else raise naming the choices."""
    allowed = tuple(allowed)
    if value not in allowed:
        choices = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{name} must be one of {choices}; got {value!r}")
    return value


def seed_value(name: str, value: Any) -> int:
    """Return a non-negative int seed, or raise."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer (the random seed), got {value!r}")
    return int(value)


def finite_array(name: str, value: Any, *, ndim: int | tuple[int, ...] | None = None,
                 lo: float | None = None, hi: float | None = None) -> np.ndarray:
    """Return ``value`` as a float array, or raise if it has NaN/inf, a wrong rank or values outside [lo, hi]."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an array of numbers, got {type(value).__name__}") from None
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
