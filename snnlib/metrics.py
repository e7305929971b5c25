"""Measures of quality: reconstruction error of a spike code, edge-map scores, output error of a crossbar.

The analysis code of the course, kept out of the modules that model the physics
(as ``skimage.metrics`` sits beside ``skimage.filters``). Everything here is a
plain function of arrays (NumPy, or TensorFlow tensors where they are accepted)
and returns Python floats, NumPy arrays or small named tuples.

================================  ==========================================================
function                          measures
================================  ==========================================================
:func:`rmse`                      RMS error of an estimate
:func:`reconstruction_rmse`       RMS error of the decoded estimate of a spike train
:func:`rmse_over_steps`           reconstruction RMSE for each window length T
:func:`smallest_steps`            the shortest window that reaches a target RMSE
:func:`power_law_fit`             the exponent and prefactor of ``err ≈ a·T^b`` (:class:`PowerLaw`)
:func:`edge_scores`               precision, recall, F1 of a binary edge map (:class:`EdgeScores`)
:func:`best_f1`                   the best F1 of an edge-strength map over thresholds (:class:`BestF1`)
:func:`bsds_f1`                   the Berkeley benchmark's F1: thinned maps, one-to-one matching (:class:`BsdsF1`)
:func:`thin`                      morphological thinning of a binary map to one-pixel-wide lines
:func:`relative_error`            ``‖y − y_ref‖ / ‖y_ref‖`` of a crossbar's outputs
:func:`global_gain`               the one gain that best maps the outputs onto the reference
================================  ==========================================================

The reconstruction functions take a ``code`` by name: the codes of
:data:`snnlib.encoders.CODES` (and their aliases, :data:`snnlib.encoders.CODE_ALIASES`).
:mod:`snnlib.encoders`, and with it TensorFlow, is imported only when one of them
runs, so ``import snnlib.metrics`` stays light.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from scipy import ndimage

from snnlib import _checks

__all__ = [
    "rmse",
    "reconstruction_rmse",
    "rmse_over_steps",
    "smallest_steps",
    "power_law_fit",
    "PowerLaw",
    "edge_scores",
    "EdgeScores",
    "best_f1",
    "BestF1",
    "bsds_f1",
    "BsdsF1",
    "thin",
    "match_edges",
    "relative_error",
    "global_gain",
]


# ----------------------------------------------------------------------------- named results
class PowerLaw(NamedTuple):
    """Result of :func:`power_law_fit`: :math:`\\mathrm{err} \\approx a\\,T^{b}`.

    Unpacks exponent first, ``b, a = power_law_fit(...)`` (the order of
    ``numpy.polyfit``'s slope and intercept).

    Attributes
    ----------
    exponent : float
        :math:`b`, the slope of the log-log plot (dimensionless).
    prefactor : float
        :math:`a`, the error the line predicts at :math:`T = 1`, in the units of the errors.
    """

    exponent: float
    prefactor: float


class EdgeScores(NamedTuple):
    """Result of :func:`edge_scores`; unpacks as ``precision, recall, f1``. Each in [0, 1]."""

    precision: float
    recall: float
    f1: float


class BestF1(NamedTuple):
    """Result of :func:`best_f1`; unpacks as ``f1, threshold``.

    Attributes
    ----------
    f1 : float
        The best F1 score over the thresholds, in [0, 1].
    threshold : float
        The threshold on the [0, 1] edge strength that gives it (0.0 when no threshold
        scores above 0).
    """

    f1: float
    threshold: float


class BsdsF1(NamedTuple):
    """Result of :func:`bsds_f1`; unpacks as ``f1, precision, recall, threshold``.

    Attributes
    ----------
    f1 : float
        The best F1 over the thresholds, in [0, 1].
    precision, recall : float
        Precision and recall at that threshold, in [0, 1].
    threshold : float
        The threshold on the [0, 1] edge strength that gives it (0.0 when no threshold scores above 0).
    """

    f1: float
    precision: float
    recall: float
    threshold: float


# ----------------------------------------------------------------------------- reconstruction error
def _code_params(code: Any, params: dict) -> tuple[str, dict]:
    """Validate ``code`` and its encoder ``params``; return the code's name in CODES and the decoder's share."""
    from snnlib import encoders  # here, not at the top: it loads TensorFlow

    name = encoders.resolve_code(code, params)
    for_decoder = encoders.CODES[name].decoder_params
    return name, {k: v for k, v in params.items() if k in for_decoder}


def _codec(name: str) -> Any:
    """The :class:`~snnlib.encoders.Code` (encoder, decoder) named ``name``."""
    from snnlib import encoders

    return encoders.CODES[name]


def rmse(x: Any, x_hat: Any) -> float:
    r"""Root-mean-square error of an estimate, :math:`\sqrt{\overline{(\hat x - x)^2}}`, over all elements.

    Computed in float64, in the units of ``x`` (intensity for images).

    Parameters
    ----------
    x, x_hat : array_like or tf.Tensor
        The true values and the estimate, same shape.

    Returns
    -------
    float
        The RMS error.

    Examples
    --------
    >>> rmse([0.0, 1.0], [0.0, 0.5])  # sqrt((0 + 0.25) / 2)
    0.3535533905932738
    """
    a = _checks.finite_array("x", x)
    b = _checks.finite_array("x_hat", x_hat)
    if a.shape != b.shape:
        raise ValueError(f"x and x_hat must have the same shape, got {a.shape} and {b.shape}")
    if a.size == 0:
        raise ValueError("x is empty; pass at least one value")
    return float(np.sqrt(np.mean((b - a) ** 2)))


def reconstruction_rmse(x: Any, spikes: Any, *, code: str = "rate", **params: Any) -> float:
    r"""RMS error of the decoded estimate of ``x``: :func:`rmse` ``(x, decode(spikes))``.

    The decoder is the inverse of the encoder named by ``code`` (see
    :data:`snnlib.encoders.CODES`): :func:`~snnlib.encoders.decode_rate` for ``"rate"`` and
    ``"deterministic_rate"``, :func:`~snnlib.encoders.decode_latency` for ``"latency"``.

    Parameters
    ----------
    x : array_like or tf.Tensor
        The encoded input, shape ``spikes.shape[1:]``.
    spikes : array_like or tf.Tensor
        Time-major train ``[T, *x.shape]`` from that encoder.
    code : {"rate", "deterministic_rate", "latency"}
        The encoder that made ``spikes`` (or an alias: ``"deterministic"``).
    **params
        The keyword arguments given to the encoder (e.g. ``max_rate``, ``dt``;
        ``mode``, ``tau``); the decoder gets those it needs (``seed`` is ignored).

    Returns
    -------
    float
        The RMS error, in the units of ``x``.

    Examples
    --------
    >>> from snnlib.encoders import deterministic_rate
    >>> reconstruction_rmse([0.25, 0.5], deterministic_rate([0.25, 0.5], 8), code="deterministic_rate")
    0.0
    """
    name, decode_params = _code_params(code, params)
    return rmse(x, _codec(name).decoder(spikes, **decode_params))


def _steps_list(steps: Any) -> list[int]:
    values = np.asarray(steps).ravel().tolist()
    if not values:
        raise ValueError("steps must list at least one window length, e.g. [8, 16, 32]")
    return [_checks.positive_int("each of steps", t) for t in values]


def rmse_over_steps(x: Any, steps: Any, *, code: str = "rate", **params: Any) -> np.ndarray:
    r"""Reconstruction RMSE for each window length :math:`T` in ``steps``.

    For every :math:`T`: encode ``x`` with the encoder named by ``code`` for
    :math:`T` steps, decode, and take :func:`rmse`. Theory for a whole image:
    Bernoulli ``"rate"`` :math:`\sqrt{\overline{x(1-x)}/T}` (at
    ``max_rate·dt = 1``), ``"deterministic_rate"`` and the normalised linear
    ``"latency"`` code about :math:`1/(\sqrt{12}\,T)`; fit the exponent with
    :func:`power_law_fit`.

    Parameters
    ----------
    x : array_like or tf.Tensor
        Intensities in [0, 1], any shape.
    steps : sequence of int
        Window lengths :math:`T` (each >= 1), in any order.
    code : {"rate", "deterministic_rate", "latency"}
        Which encoder (and its decoder), see :data:`snnlib.encoders.CODES` (or an alias:
        ``"deterministic"``).
    **params
        Keyword arguments of that encoder (``seed``, ``max_rate``, ``dt``,
        ``mode``, ...); the same ones go to the decoder where it takes them.

    Returns
    -------
    numpy.ndarray
        float64 RMSE per entry of ``steps``, in the same order.

    Examples
    --------
    >>> rmse_over_steps([0.25, 0.5], [4, 8], code="deterministic_rate").tolist()
    [0.0, 0.0]
    """
    name, decode_params = _code_params(code, params)
    encode, decode = _codec(name)
    return np.array([rmse(x, decode(encode(x, t, **params), **decode_params)) for t in _steps_list(steps)])


def smallest_steps(x: Any, steps: Any, *, target: float, code: str = "rate",
                   **params: Any) -> tuple[int, float] | None:
    r"""Smallest window :math:`T` in ``steps`` whose reconstruction RMSE is at most ``target``.

    Tries the candidates from the smallest up, as :func:`rmse_over_steps`
    would compute them, and stops at the first with
    :math:`\mathrm{RMSE}(T) \le` ``target``. Encode again with that ``T`` (and
    the same ``params``) to count the spikes it costs.

    Parameters
    ----------
    x : array_like or tf.Tensor
        Intensities in [0, 1], any shape.
    steps : sequence of int
        Candidate window lengths (each >= 1), searched in increasing order.
    target : float
        Largest acceptable RMSE (> 0), in the units of ``x``.
    code : {"rate", "deterministic_rate", "latency"}
        Which encoder (and its decoder), see :data:`snnlib.encoders.CODES` (or an alias:
        ``"deterministic"``).
    **params
        Keyword arguments of that encoder, as for :func:`rmse_over_steps`.

    Returns
    -------
    (int, float) or None
        ``(T, rmse)`` for the first good enough window, or ``None`` if none is.

    Examples
    --------
    >>> T, err = smallest_steps([0.2, 0.6], [2, 4, 8, 16], target=0.05, code="deterministic_rate")
    >>> T, round(err, 4)
    (8, 0.0395)
    """
    target = _checks.positive("target", target)
    name, decode_params = _code_params(code, params)
    encode, decode = _codec(name)
    for t in sorted(_steps_list(steps)):
        err = rmse(x, decode(encode(x, t, **params), **decode_params))
        if err <= target:
            return t, err
    return None


def power_law_fit(steps: Any, errors: Any) -> PowerLaw:
    r"""Fit :math:`\mathrm{err} \approx a\,T^{b}` by least squares on a log-log scale.

    .. math:: \log \mathrm{err} = \log a + b \log T,

    so :math:`b` is the slope of the log-log plot (−1/2 for the Bernoulli rate
    code, −1 for the sigma-delta and latency codes) and :math:`a` the error
    the line predicts at :math:`T = 1`.

    Parameters
    ----------
    steps : sequence of float
        Window lengths :math:`T` (> 0), at least two different ones.
    errors : sequence of float
        The error at each :math:`T` (> 0), e.g. from :func:`rmse_over_steps`.

    Returns
    -------
    PowerLaw
        ``(exponent, prefactor)`` = ``(b, a)``: the exponent (slope) first, then the
        prefactor in the units of ``errors``; ``b, a = power_law_fit(...)`` unpacks it,
        or read ``.exponent`` and ``.prefactor``.

    Examples
    --------
    >>> b, a = power_law_fit([1, 4, 16], [0.5, 0.25, 0.125])
    >>> round(b, 6), round(a, 6)
    (-0.5, 0.5)
    >>> round(power_law_fit([1, 4, 16], [0.5, 0.25, 0.125]).exponent, 6)
    -0.5
    """
    t = _checks.finite_array("steps", steps, ndim=1)
    e = _checks.finite_array("errors", errors, ndim=1)
    if t.shape != e.shape:
        raise ValueError(f"steps and errors must have the same length, got {t.size} and {e.size}")
    if t.size and (t.min() <= 0 or e.min() <= 0):
        raise ValueError("steps and errors must all be > 0 (they are fitted on a log scale)")
    if np.unique(t).size < 2:
        raise ValueError("steps must hold at least two different window lengths to fit a slope")
    slope, intercept = np.polyfit(np.log(t), np.log(e), 1)
    return PowerLaw(exponent=float(slope), prefactor=float(np.exp(intercept)))


# ----------------------------------------------------------------------------- edge maps
def edge_scores(predicted: Any, truth: Any, *, tolerance: int = 1) -> EdgeScores:
    r"""Precision, recall and F1 of a boolean edge map against the true edges.

    A predicted pixel counts as correct if a true edge lies within ``tolerance`` px
    (chessboard distance), and a true pixel as found if a prediction lies within it.
    With :math:`D_r` the dilation by a :math:`(2r+1)\times(2r+1)` square
    (:math:`r` = ``tolerance``, :math:`D_0` the identity), :math:`P` the predicted
    and :math:`E` the true edge pixels:

    .. math::
        \mathrm{precision} = \frac{|P \cap D_r(E)|}{|P|}, \qquad
        \mathrm{recall} = \frac{|E \cap D_r(P)|}{|E|}, \qquad
        F_1 = \frac{2\,\mathrm{precision}\cdot\mathrm{recall}}{\mathrm{precision} + \mathrm{recall}},

    each 0 where its denominator is 0. This is the boundary F-measure of the Berkeley
    benchmark without its one-to-one matching of pixels: every predicted pixel within
    the tolerance of a true edge counts, so a thick predicted edge is not penalised.

    Parameters
    ----------
    predicted, truth : array_like of bool
        Edge maps ``[H, W]`` of one shape.
    tolerance : int
        Largest distance in px (chessboard) at which a prediction still matches (0 … max(H, W)).

    Returns
    -------
    EdgeScores
        ``(precision, recall, f1)``, each in [0, 1].

    References
    ----------
    D. R. Martin, C. C. Fowlkes, J. Malik, "Learning to detect natural image boundaries
    using local brightness, color, and texture cues", IEEE TPAMI 26(5), 2004.
    """
    pred = np.asarray(predicted, dtype=bool)
    true = np.asarray(truth, dtype=bool)
    _check_maps(pred, true, tolerance)
    struct = np.ones((2 * tolerance + 1, 2 * tolerance + 1), dtype=bool)
    near_true = ndimage.binary_dilation(true, struct) if tolerance else true
    return _scores(pred, true, near_true, struct if tolerance else None)


def _check_maps(pred: np.ndarray, true: np.ndarray, tolerance: Any) -> None:
    if pred.ndim != 2 or pred.shape != true.shape:
        raise ValueError(f"the edge map and the true edges must be [H, W] arrays of one shape, "
                         f"got {pred.shape} and {true.shape}")
    _checks.positive_int("tolerance", tolerance, minimum=0, maximum=max(pred.shape))


def _scores(pred: np.ndarray, true: np.ndarray, near_true: np.ndarray, struct: np.ndarray | None) -> EdgeScores:
    near_pred = ndimage.binary_dilation(pred, struct) if struct is not None else pred
    precision = float((pred & near_true).sum() / pred.sum()) if pred.any() else 0.0
    recall = float((true & near_pred).sum() / true.sum()) if true.any() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return EdgeScores(precision, recall, f1)


def best_f1(edge_map: Any, truth: Any, *, tolerance: int = 1, n_thresholds: int = 50) -> BestF1:
    """Best F1 over thresholds of a [0, 1] edge-strength map (the same oracle for every method).

    The map is thresholded at ``n_thresholds`` evenly spaced values from 0.02 to 0.98
    (``edge_map >= t``) and each binary map scored with :func:`edge_scores`; the best
    F1 is kept (the first threshold that reaches it). Choosing the threshold on the
    truth itself is the Berkeley benchmark's optimal image scale (OIS): it compares
    methods at their best, whatever scale their maps have.

    Parameters
    ----------
    edge_map : array_like
        Edge strength ``[H, W]``, finite, meant in [0, 1].
    truth : array_like of bool
        The true edges, same shape.
    tolerance : int
        As for :func:`edge_scores` (px).
    n_thresholds : int
        Number of thresholds tried (>= 1).

    Returns
    -------
    BestF1
        ``(f1, threshold)``; ``(0.0, 0.0)`` when no threshold scores above 0.

    References
    ----------
    D. R. Martin, C. C. Fowlkes, J. Malik, IEEE TPAMI 26(5), 2004; P. Arbeláez et al.,
    "Contour detection and hierarchical image segmentation", IEEE TPAMI 33(5), 2011 (OIS).
    """
    m = _checks.finite_array("edge_map", edge_map)
    true = np.asarray(truth, dtype=bool)
    _check_maps(m, true, tolerance)
    n_thresholds = _checks.positive_int("n_thresholds", n_thresholds)
    struct = np.ones((2 * tolerance + 1, 2 * tolerance + 1), dtype=bool)
    near_true = ndimage.binary_dilation(true, struct) if tolerance else true
    best = BestF1(0.0, 0.0)
    for t in np.linspace(0.02, 0.98, n_thresholds):
        f1 = _scores(m >= t, true, near_true, struct if tolerance else None)[2]
        if f1 > best[0]:
            best = BestF1(f1, float(t))
    return best


# ----------------------------------------------------------------------------- BSDS-style F1
# The eight neighbours x1 … x8 of a pixel, counter-clockwise from the east (row, column offsets).
_NEIGHBOURS = ((0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1), (1, 0), (1, 1))


def thin(mask: Any) -> np.ndarray:
    """Thin a boolean map ``[H, W]`` to lines one pixel wide (MATLAB's ``bwmorph(bw, 'thin', Inf)``).

    The parallel two-subiteration algorithm of Guo & Hall (1989, algorithm A1; Lam, Lee & Suen 1992),
    the one the Berkeley benchmark applies to every thresholded map. With the neighbours
    ``x1 … x8`` counted counter-clockwise from the east, a pixel is deleted when

    * G1: the crossing number ``X_H = Σ_{i=1..4} [x_{2i−1} = 0 and (x_{2i} or x_{2i+1})] = 1``
      (removing it does not split the line);
    * G2: ``2 ≤ min(n1, n2) ≤ 3`` with ``n1 = Σ_k (x_{2k−1} or x_{2k})`` and ``n2 = Σ_k (x_{2k} or x_{2k+1})``
      (it is not an end point, and not inside a solid region);
    * G3 (first subiteration): ``(x2 or x3 or not x8) and x1 = 0``; G3' (second): ``(x6 or x7 or not x4)
      and x5 = 0``,

    both subiterations repeated until nothing changes. Pixels outside the map count as 0. A 2×2 block
    becomes one pixel, a line keeps its end points, a thick bar becomes its centre line.

    References
    ----------
    Z. Guo, R. W. Hall, "Parallel thinning with two-subiteration algorithms", Commun. ACM 32(3), 1989;
    L. Lam, S.-W. Lee, C. Y. Suen, "Thinning methodologies — a comprehensive survey", IEEE TPAMI 14(9), 1992.
    """
    img = np.asarray(mask, dtype=bool)
    if img.ndim != 2:
        raise ValueError(f"thin needs a 2-D map [H, W], got shape {img.shape}")
    h, w = img.shape
    b = np.pad(img, 1)
    code = np.empty((h, w), dtype=np.uint8)
    while True:
        changed = False
        for sub in (0, 1):
            # the 8 neighbours as the bits of one byte per pixel (x1 = bit 0 … x8 = bit 7); the conditions
            # G1–G3 of each subiteration are looked up in a 256-entry table (_thin_tables)
            code[:] = 0
            for bit, (dr, dc) in enumerate(_NEIGHBOURS):
                code |= b[1 + dr:1 + dr + h, 1 + dc:1 + dc + w].view(np.uint8) << bit
            delete = b[1:-1, 1:-1] & _THIN_TABLES[sub][code]
            if delete.any():
                b[1:-1, 1:-1] &= ~delete
                changed = True
        if not changed:
            return b[1:-1, 1:-1].copy()


def _thin_tables() -> tuple[np.ndarray, np.ndarray]:
    """For each subiteration of :func:`thin`, whether a set pixel with neighbourhood byte ``c`` (bit ``i``
    = neighbour ``x_{i+1}``) is deleted: G1 and G2 and G3 (first) or G3' (second), evaluated for all 256."""
    c = np.arange(256)
    x = [((c >> i) & 1).astype(bool) for i in range(8)]
    x.append(x[0])  # x9 = x1
    x1, x2, x3, x4, x5, x6, x7, x8 = x[:8]
    crossing = sum((~x[2 * i]) & (x[2 * i + 1] | x[2 * i + 2]) for i in range(4))
    n1 = sum((x[2 * k] | x[2 * k + 1]).astype(int) for k in range(4))
    n2 = sum((x[2 * k + 1] | x[(2 * k + 2) % 8]).astype(int) for k in range(4))
    small = np.minimum(n1, n2)
    g12 = (crossing == 1) & (small >= 2) & (small <= 3)
    return g12 & ~((x2 | x3 | ~x8) & x1), g12 & ~((x6 | x7 | ~x4) & x5)


_THIN_TABLES = _thin_tables()


def match_edges(predicted: Any, truth: Any, radius: float) -> tuple[int, int, int]:
    """Match predicted to true edge pixels one to one within ``radius`` px (Euclidean).

    Each predicted pixel may be paired with one true pixel at most ``radius`` away, and each true pixel
    with one predicted pixel; the largest such pairing (a maximum-cardinality bipartite matching,
    Hopcroft–Karp, :func:`scipy.sparse.csgraph.maximum_bipartite_matching`) is taken. Returns
    ``(matched, n_predicted, n_true)``. The Berkeley benchmark's ``correspondPixels`` solves a
    minimum-cost assignment with the same radius; the number of matched pixels is the same
    (any maximum matching), only which pixel pairs with which may differ.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import maximum_bipartite_matching
    from scipy.spatial import cKDTree

    p = np.argwhere(np.asarray(predicted, dtype=bool))
    t = np.argwhere(np.asarray(truth, dtype=bool))
    if len(p) == 0 or len(t) == 0:
        return 0, len(p), len(t)
    pairs = cKDTree(p).sparse_distance_matrix(cKDTree(t), radius * (1 + 1e-9), output_type="ndarray")
    if len(pairs) == 0:
        return 0, len(p), len(t)
    graph = coo_matrix((np.ones(len(pairs), dtype=np.int8), (pairs["i"], pairs["j"])),
                       shape=(len(p), len(t))).tocsr()
    match = maximum_bipartite_matching(graph, perm_type="column")
    return int((match >= 0).sum()), len(p), len(t)


def bsds_f1(edge_map: Any, truth: Any, *, max_dist: float = 0.0075, n_thresholds: int = 99,
            thin_truth: bool = True) -> BsdsF1:
    r"""The Berkeley benchmark's boundary F-measure of a [0, 1] edge-strength map, at its best threshold.

    After Martin, Fowlkes & Malik (TPAMI 2004) and the BSDS500 benchmark (Arbeláez et al. 2011), for each
    of ``n_thresholds`` thresholds :math:`t_i = i/(n+1)`, :math:`i = 1 … n` (the benchmark's ``nthresh``):

    1. binarise, ``edge_map >= t``, and :func:`thin` the result to one-pixel-wide edges;
    2. :func:`match_edges` the thinned prediction to the true edges **one to one** within
       ``max_dist`` × the image diagonal :math:`\sqrt{H^2 + W^2}` (Euclidean, px);
    3. precision = matched predictions / predictions, recall = matched true pixels / true pixels,
       :math:`F_1 = 2PR/(P + R)` (each 0 where its denominator is 0).

    The best F1 over the thresholds is kept (the first threshold that reaches it): the optimal scale
    of this one image (OIS; over a data set of one image, also ODS). Unlike :func:`best_f1`, a thick
    or doubled response cannot score twice: it is thinned, and each true pixel matches once.

    Parameters
    ----------
    edge_map : array_like
        Edge strength ``[H, W]``, finite, meant in [0, 1].
    truth : array_like of bool
        The true edges, same shape.
    max_dist : float
        Matching radius as a fraction of the image diagonal (> 0; the benchmark's 0.0075).
    n_thresholds : int
        Number of thresholds (>= 1; the benchmark's 99).
    thin_truth : bool
        Thin the true edges first (default). The benchmark's human boundaries are one pixel wide;
        :func:`snnlib.data.synthetic_shapes` marks both sides of a boundary (two pixels), of which a
        one-pixel prediction could match only half.

    Returns
    -------
    BsdsF1
        ``(f1, precision, recall, threshold)``; all 0.0 when no threshold scores above 0.

    References
    ----------
    D. R. Martin, C. C. Fowlkes, J. Malik, "Learning to detect natural image boundaries using local
    brightness, color, and texture cues", IEEE TPAMI 26(5), 2004; P. Arbeláez, M. Maire, C. Fowlkes,
    J. Malik, "Contour detection and hierarchical image segmentation", IEEE TPAMI 33(5), 2011.
    """
    m = _checks.finite_array("edge_map", edge_map)
    true = np.asarray(truth, dtype=bool)
    _check_maps(m, true, 0)
    n_thresholds = _checks.positive_int("n_thresholds", n_thresholds)
    max_dist = _checks.positive("max_dist", max_dist, maximum=1.0)
    if thin_truth:
        true = thin(true)
    radius = max_dist * float(np.hypot(*m.shape))
    best = BsdsF1(0.0, 0.0, 0.0, 0.0)
    previous = None
    for t in np.arange(1, n_thresholds + 1) / (n_thresholds + 1):
        binary = m >= t
        if previous is not None and np.array_equal(binary, previous):
            continue  # the same map scores the same
        previous = binary
        matched, n_pred, n_true = match_edges(thin(binary), true, radius)
        precision = matched / n_pred if n_pred else 0.0
        recall = matched / n_true if n_true else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
        if f1 > best.f1:
            best = BsdsF1(float(f1), float(precision), float(recall), float(t))
    return best


# ----------------------------------------------------------------------------- crossbar outputs
def relative_error(y: Any, y_ref: Any) -> float:
    """Relative output error ``ε = ‖y − y_ref‖ / ‖y_ref‖`` (Frobenius norms over all entries).

    ``y`` and ``y_ref`` are arrays or tensors of one shape (any units, the same
    for both); computed in float64. 0 is perfect, 1 is as bad as answering 0.
    This is the figure of merit of notebook 04 (as in CrossSim and MemTorch
    accuracy studies).
    """
    y = _checks.finite_array("y", y)
    y_ref = _checks.finite_array("y_ref", y_ref)
    if y.shape != y_ref.shape:
        raise ValueError(f"y and y_ref must have one shape, got {y.shape} and {y_ref.shape}")
    ref = np.linalg.norm(y_ref)
    if ref == 0:
        raise ValueError("y_ref is all zeros: the relative error is undefined")
    return float(np.linalg.norm(y - y_ref) / ref)


def global_gain(y: Any, y_ref: Any) -> float:
    """The one scalar gain ``g`` that best maps ``y`` onto ``y_ref``: ``g = Σ y·y_ref / Σ y²``.

    The least-squares solution of ``min_g ‖g·y − y_ref‖``, computed in float64.
    Multiplying the crossbar outputs by it is *global drift compensation*: PCM
    drift ``G·((t + t0)/t0)^(−ν)`` with one ν shrinks every weight by the same
    factor, which one gain, measured on a reference input, undoes (IBM's global
    drift compensation: Joshi et al., Nat. Commun. 11, 2473, 2020).
    """
    y = _checks.finite_array("y", y)
    y_ref = _checks.finite_array("y_ref", y_ref)
    if y.shape != y_ref.shape:
        raise ValueError(f"y and y_ref must have one shape, got {y.shape} and {y_ref.shape}")
    power = float(np.sum(y * y))
    if power == 0:
        raise ValueError("y is all zeros: no gain maps it onto y_ref")
    return float(np.sum(y * y_ref)) / power
