"""The Berkeley-benchmark F1 (bsds_f1), its thinning and its one-to-one matching, on hand-built cases."""

import numpy as np
import pytest

from snnlib.metrics import BsdsF1, bsds_f1, match_edges, thin


# --------------------------------------------------------------------------- thinning
def test_thin_keeps_a_one_pixel_line_and_its_end_points():
    m = np.zeros((7, 9), bool)
    m[3, 1:8] = True
    np.testing.assert_array_equal(thin(m), m)
    diag = np.eye(6, dtype=bool)
    np.testing.assert_array_equal(thin(diag), diag)


def test_thin_reduces_a_thick_bar_to_one_centre_line():
    m = np.zeros((9, 15), bool)
    m[3:6, 2:13] = True  # 3 px thick, 11 long
    t = thin(m)
    assert t.sum() > 0 and t.sum() <= 11
    assert np.all(t.sum(axis=0) <= 1)          # one pixel wide
    assert np.all(np.flatnonzero(t.any(axis=1)) == 4)  # on the centre row
    assert np.all(t <= m)                      # only deletes


def test_thin_makes_a_2x2_block_one_pixel_and_keeps_a_ring_closed():
    sq = np.zeros((6, 6), bool)
    sq[2:4, 2:4] = True
    assert thin(sq).sum() == 1
    ring = np.zeros((11, 11), bool)
    ring[2:9, 2:9] = True
    ring[4:7, 4:7] = False  # a square ring 2 px thick around a hole
    t = thin(ring)
    from scipy import ndimage
    # still one closed loop: the hole stays separated from the outside
    holes = ndimage.label(~t)[1]
    assert holes == 2
    assert t.sum() < ring.sum()


def test_thin_needs_2d():
    with pytest.raises(ValueError, match="2-D"):
        thin(np.zeros(5, bool))


# --------------------------------------------------------------------------- matching
def test_matching_is_one_to_one():
    truth = np.zeros((5, 5), bool)
    truth[2, 2] = True
    pred = np.zeros((5, 5), bool)
    pred[2, 1] = pred[2, 3] = True  # two predictions 1 px from one true pixel
    assert match_edges(pred, truth, 1.0) == (1, 2, 1)
    # a maximum matching, not a greedy one: a–x, b–x, b–y must pair a–x and b–y
    truth = np.zeros((5, 5), bool)
    truth[2, 1] = truth[2, 3] = True   # x, y
    pred = np.zeros((5, 5), bool)
    pred[1, 1] = pred[2, 2] = True     # a (near x only), b (near x and y)
    assert match_edges(pred, truth, 1.0) == (2, 2, 2)
    assert match_edges(np.zeros((5, 5), bool), truth, 1.0) == (0, 0, 2)


# --------------------------------------------------------------------------- bsds_f1
def _line_case(shift: int, size: int = 100):
    truth = np.zeros((size, size), bool)
    truth[50, 10:90] = True
    pred = np.zeros((size, size))
    pred[50 + shift, 10:90] = 1.0
    return pred, truth


def test_a_shifted_line_within_the_radius_matches_and_outside_does_not():
    # 100 × 100: diagonal 141.4 px, radius 0.0075 · 141.4 = 1.06 px
    pred, truth = _line_case(1)
    r = bsds_f1(pred, truth, n_thresholds=5)
    assert isinstance(r, BsdsF1) and r == (1.0, 1.0, 1.0, pytest.approx(1 / 6))
    pred, truth = _line_case(2)
    assert bsds_f1(pred, truth, n_thresholds=5) == (0.0, 0.0, 0.0, 0.0)
    # with a radius of 0.015 of the diagonal (2.1 px) the 2-px shift matches
    assert bsds_f1(pred, truth, n_thresholds=5, max_dist=0.015).f1 == 1.0


def test_a_doubled_thick_edge_counts_once_after_thinning():
    truth = np.zeros((100, 100), bool)
    truth[50, 10:90] = True
    pred = np.zeros((100, 100))
    pred[49:52, 10:90] = 1.0  # 3 px thick: thinned to the centre line (one pixel shorter at each end)
    r = bsds_f1(pred, truth, n_thresholds=5)
    assert r.precision == 1.0 and r.recall == pytest.approx(78 / 80) and r.f1 > 0.98
    # unthinned, two of every three predicted pixels would find no partner: precision 1/3
    assert match_edges(pred > 0, truth, 1.06) == (80, 240, 80)
    # two separate parallel responses, 1 px either side: thinning keeps both lines (they are not touching),
    # only one can match each true pixel: precision 1/2
    pred = np.zeros((100, 100))
    pred[49, 10:90] = pred[51, 10:90] = 1.0
    r = bsds_f1(pred, truth, n_thresholds=5)
    assert r.recall == 1.0 and r.precision == pytest.approx(0.5)
    assert r.f1 == pytest.approx(2 * 0.5 / 1.5)


def test_the_best_threshold_is_kept_with_its_precision_and_recall():
    truth = np.zeros((100, 100), bool)
    truth[50, 10:90] = True
    pred = np.zeros((100, 100))
    pred[50, 10:90] = 0.8
    pred[20, 10:50] = 0.3  # a weaker false edge: gone from t > 0.3
    r = bsds_f1(pred, truth, n_thresholds=9)  # thresholds 0.1 … 0.9
    assert r.f1 == 1.0 and r.threshold == pytest.approx(0.4)
    low = bsds_f1(pred, truth, n_thresholds=1)  # t = 0.5 only
    assert low.f1 == 1.0
    r = bsds_f1(np.where(pred > 0.5, 0, pred), truth, n_thresholds=9)  # only the false edge
    assert r == (0.0, 0.0, 0.0, 0.0)


def test_a_two_pixel_truth_is_thinned_unless_asked_not_to():
    truth = np.zeros((100, 100), bool)
    truth[50:52, 10:90] = True  # both sides of a boundary, as synthetic_shapes marks it
    pred = np.zeros((100, 100))
    pred[50, 10:90] = 1.0
    assert bsds_f1(pred, truth, n_thresholds=3).f1 > 0.97
    r = bsds_f1(pred, truth, n_thresholds=3, thin_truth=False)
    assert r.precision == 1.0 and r.recall == pytest.approx(0.5)


@pytest.mark.parametrize("kwargs, word", [(dict(max_dist=0.0), "max_dist"), (dict(n_thresholds=0), "n_thresholds")])
def test_bsds_f1_bad_arguments(kwargs, word):
    with pytest.raises(ValueError, match=word):
        bsds_f1(np.zeros((5, 5)), np.zeros((5, 5), bool), **kwargs)
    with pytest.raises(ValueError, match="one shape"):
        bsds_f1(np.zeros((5, 5)), np.zeros((4, 5), bool))


def _thin_pixel_by_pixel(mask):
    """Guo & Hall's algorithm A1 written out per pixel (the reference the table-driven thin must match)."""
    b = np.pad(np.asarray(mask, dtype=bool), 1)
    offsets = ((0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1), (1, 0), (1, 1))  # x1 … x8
    while True:
        changed = False
        for sub in (0, 1):
            delete = []
            for r, c in zip(*np.nonzero(b)):
                x = [bool(b[r + dr, c + dc]) for dr, dc in offsets]
                x.append(x[0])
                crossing = sum((not x[2 * i]) and (x[2 * i + 1] or x[2 * i + 2]) for i in range(4))
                n1 = sum(x[2 * k] or x[2 * k + 1] for k in range(4))
                n2 = sum(x[2 * k + 1] or x[(2 * k + 2) % 8] for k in range(4))
                g3 = (not ((x[1] or x[2] or not x[7]) and x[0])) if sub == 0 else (
                    not ((x[5] or x[6] or not x[3]) and x[4]))
                if crossing == 1 and 2 <= min(n1, n2) <= 3 and g3:
                    delete.append((r, c))
            for r, c in delete:
                b[r, c] = False
            changed |= bool(delete)
        if not changed:
            return b[1:-1, 1:-1]


def test_thin_matches_the_algorithm_written_pixel_by_pixel():
    from scipy import ndimage

    rng = np.random.default_rng(0)
    for trial in range(40):
        h, w = rng.integers(1, 24, 2)
        m = rng.random((h, w)) < rng.random()
        if trial % 2:
            m = ndimage.binary_dilation(m, iterations=int(rng.integers(1, 3)))
        np.testing.assert_array_equal(thin(m), _thin_pixel_by_pixel(m), err_msg=str(trial))
