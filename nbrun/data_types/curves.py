"""Precision-recall and ROC curves with NumPy alone, computed as scikit-learn computes them
(``precision_recall_curve``, ``roc_curve`` with ``drop_intermediate=True``), so
``nbrun.plot.pr_curve`` and ``roc_curve`` need no scikit-learn at run time."""

from __future__ import annotations

from typing import Any


def binary_clf_curve(positive: Any, scores: Any) -> tuple[Any, Any, Any]:
    """False and true positives at each distinct score, highest score first, and the scores.

    ``positive``: booleans (the sample is of the positive class); ``scores``: floats."""
    import numpy as np

    order = np.argsort(scores, kind="mergesort")[::-1]
    scores = scores[order]
    positive = positive[order]
    distinct = np.where(np.diff(scores))[0]
    threshold_idxs = np.r_[distinct, positive.size - 1]
    tps = np.cumsum(positive, dtype=np.float64)[threshold_idxs]
    fps = 1 + threshold_idxs - tps
    return fps, tps, scores[threshold_idxs]


def roc_curve(positive: Any, scores: Any) -> tuple[Any, Any]:
    """``(fpr, tpr)`` from (0, 0) to (1, 1), collinear points dropped; requires both positive
    and negative samples."""
    import numpy as np

    fps, tps, _ = binary_clf_curve(positive, scores)
    if len(fps) > 2:
        keep = np.where(np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True])[0]
        fps, tps = fps[keep], tps[keep]
    fps = np.r_[0.0, fps]
    tps = np.r_[0.0, tps]
    return fps / fps[-1], tps / tps[-1]


def precision_recall_curve(positive: Any, scores: Any) -> tuple[Any, Any]:
    """``(precision, recall)`` by decreasing recall, ending at (1, 0); requires positives."""
    import numpy as np

    fps, tps, _ = binary_clf_curve(positive, scores)
    predicted = tps + fps
    precision = np.zeros_like(tps)
    np.divide(tps, predicted, out=precision, where=predicted != 0)
    recall = tps / tps[-1]
    return np.r_[precision[::-1], 1.0], np.r_[recall[::-1], 0.0]


def interpolated_precision(positive: Any, scores: Any, recall_points: Any) -> Any:
    """Precision at each of ``recall_points`` (descending), made monotone (the best precision
    at that recall or more), as the reference's ``pr_curve`` draws it."""
    import numpy as np

    precision, recall = precision_recall_curve(positive, scores)
    precision = np.maximum.accumulate(precision)  # by decreasing recall: non-decreasing
    precision, recall = precision[::-1], recall[::-1]  # recall ascending
    indices = np.searchsorted(recall, recall_points, side="left")
    return precision[np.minimum(indices, len(precision) - 1)]
