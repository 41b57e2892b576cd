"""Active-learning selection: which unlabeled images a person should label next.

Every strategy takes SimCLR representations ``h`` of shape ``(images, dim)``, the indices that
already carry a label, and a batch size; uncertainty strategies also take the current class
probabilities ``(images, classes)``. Each returns a list of :class:`Pick` with a short reason the
UI shows next to the image. Geometry is cosine: representations are L2-normalised first, so a
squared distance is ``2 - 2 cos``. No strategy ever returns an index that is already labeled.

Strategies (names accepted by :func:`select_batch`):
    * ``random`` - uniform baseline.
    * ``least_confidence``, ``margin``, ``entropy`` - uncertainty sampling.
    * ``typical`` - TypiClust (Hacohen et al., 2022): k-means into ``labeled + budget`` clusters,
      then the densest image of the largest clusters that hold no label yet.
    * ``core_set`` - k-center greedy (Sener & Savarese, 2018).
    * ``default`` - typical picks until a model exists; then a share that grows with the
      labels per class (half the batch at 5 per class) for the classes with the fewest labels
      (the images the model predicts as such a class with the smallest margin), and of the
      rest a share that shrinks (a fifth at 2 per class) of typical picks and the others by
      margin, each part spread over k-means clusters. (Issue 13: on real photos with
      unbalanced classes typical alone gave the rare classes too few labels, and one class
      often collapsed; see benchmarks/simulated_labeler.py.) Its picks by margin keep the
      strategy name ``margin``: like those of the uncertainty strategies, they are harder
      than the images nobody labeled, so the app scores their labels but does not calibrate
      the accuracy it expects on the unlabeled images with them. Its picks for the classes
      with few labels say ``default`` and do calibrate: they are ranked by margin too, but
      only among the images predicted as a rare class, and with them the expected accuracy
      read -1.3 points (sd 4.6) from the truth at 100 labels (benchmarks/estimate_bias.py).
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from simclr_core.curation.kmeans import cluster_representations
from simclr_core.curation.normalize import normalize_rows
from simclr_core.curation.strategies import STRATEGY_NAMES, UNCERTAINTY_MEASURES

DUPLICATE_COSINE = 0.95  # two picks at least this similar count as near-duplicates
# The default's class share is half the batch at this many labels per class. Unbalanced
# real-photo pool of benchmarks/simulated_labeler.py, 60 seeds, self-training, against 10:
# accuracy at 50 labels +0.9 +- 0.3 points, worst-class recall at 50 +3.2 +- 1.7, at 100
# unchanged (-0.1 +- 2.6); the balanced pool unchanged (within 0.3 points of accuracy).
CLASS_SHARE_HALF_AT = 5.0
# Of the picks that are not class picks, typical ones are a share 0.5 / (m + 0.5), the others
# the least sure images. Same unbalanced pool, 200 seeds, self-training, against typical for
# all of them (the rule before): at 100 labels accuracy +1.3 points, worst-class recall +3.1
# +- 1.4; at 50 labels +0.9 and +3.0. Balanced pool, 100 seeds: at 100 labels +0.8 and +1.8,
# at 50 -0.1 and -0.9 (+- 0.9). A typical share 0.1 / (m + 0.1), or class shares half at 2,
# 3 or 10 labels per class: within 0.6 points of this; 2 / (m + 2): -1.3 worst-class recall.
TYPICAL_HALF_AT = 0.5

FloatArray = NDArray[np.float32]
IndexArray = NDArray[np.int64]


@dataclass(frozen=True)
class Pick:
    """One image chosen for labeling: row ``index``, the strategy's ``score`` (higher means more
    wanted), a human ``reason`` for the UI, and the ``strategy`` that chose it."""

    index: int
    score: float
    reason: str
    strategy: str


def find_unlabeled(
    image_count: int, labeled_indices: Sequence[int] | NDArray[np.integer]
) -> IndexArray:
    """Indices ``(unlabeled,)`` in ``range(image_count)`` that are not in ``labeled_indices``."""
    mask = np.ones(image_count, dtype=bool)
    mask[np.asarray(labeled_indices, dtype=np.int64)] = False
    return np.flatnonzero(mask).astype(np.int64)


def select_random(
    image_count: int,
    labeled_indices: Sequence[int] | NDArray[np.integer],
    count: int,
    seed: int = 0,
) -> list[Pick]:
    """Uniform random baseline over the unlabeled images."""
    unlabeled = find_unlabeled(image_count, labeled_indices)
    chosen = np.random.default_rng(seed).permutation(unlabeled)[:count]
    return [Pick(int(index), 0.0, "random pick (baseline)", "random") for index in chosen]


def score_uncertainty(probabilities: NDArray[np.floating], measure: str) -> FloatArray:
    """Uncertainty per image from class probabilities ``(images, classes)``; higher is less sure.

    ``least_confidence`` is ``1 - p_max``; ``margin`` is ``1 - (p_first - p_second)``;
    ``entropy`` is ``-sum p log p`` in nats. Raises ``ValueError`` for an unknown measure.
    """
    sorted_probabilities = -np.sort(-np.asarray(probabilities, dtype=np.float64), axis=1)
    if measure == "least_confidence":
        scores = 1.0 - sorted_probabilities[:, 0]
    elif measure == "margin":
        second = sorted_probabilities[:, 1] if sorted_probabilities.shape[1] > 1 else 0.0
        scores = 1.0 - (sorted_probabilities[:, 0] - second)
    elif measure == "entropy":
        clipped = np.clip(sorted_probabilities, 1e-12, 1.0)
        scores = -(sorted_probabilities * np.log(clipped)).sum(axis=1)
    else:
        raise ValueError(
            f"unknown uncertainty measure {measure!r}; use one of {UNCERTAINTY_MEASURES}"
        )
    return scores.astype(np.float32)


def _guesses(row: NDArray[np.floating], class_names: Sequence[str]) -> str:
    """The two likeliest classes of a probability row, e.g. ``cat 0.57, then dog 0.19``."""
    first, *rest = np.argsort(-row)[:2]
    return ", then ".join(f"{class_names[label]} {row[label]:.2f}" for label in (first, *rest))


def describe_uncertainty(row: NDArray[np.floating], class_names: Sequence[str]) -> str:
    """Reason text for one probability row, e.g. ``model torn between cat 0.41 and dog 0.39``."""
    order = np.argsort(-row)
    first = f"{class_names[order[0]]} {row[order[0]]:.2f}"
    if len(order) < 2:
        return f"model only {row[order[0]]:.2f} sure of {class_names[order[0]]}"
    return f"model torn between {first} and {class_names[order[1]]} {row[order[1]]:.2f}"


def select_uncertain(
    probabilities: NDArray[np.floating],
    labeled_indices: Sequence[int] | NDArray[np.integer],
    count: int,
    measure: str = "margin",
    class_names: Sequence[str] | None = None,
) -> list[Pick]:
    """The ``count`` unlabeled images the model is least sure about, by ``measure``."""
    names = _resolve_class_names(class_names, probabilities.shape[1])
    scores = score_uncertainty(probabilities, measure)
    unlabeled = find_unlabeled(len(scores), labeled_indices)
    chosen = unlabeled[np.argsort(-scores[unlabeled], kind="stable")[:count]]
    return [
        Pick(int(i), float(scores[i]), describe_uncertainty(probabilities[i], names), measure)
        for i in chosen
    ]


def compute_typicality(
    points: FloatArray,
    open_members: IndexArray,
    members: IndexArray,
    neighbour_count: int,
    seed: int,
    sample_size: int = 1000,
) -> tuple[IndexArray, FloatArray]:
    """TypiClust typicality ``1 / mean distance to the k nearest neighbours`` within a cluster.

    Scores at most ``sample_size`` candidates drawn from ``open_members`` against at most
    ``sample_size`` references drawn from all ``members`` of the cluster, so a big cluster costs
    ``sample_size^2 * dim``. Returns the candidates ``(c,)`` and their typicality ``(c,)``.
    """
    rng = np.random.default_rng(seed)
    candidates = _subsample(open_members, sample_size, rng)
    references = _subsample(members, sample_size, rng)
    if len(references) < 2:
        return candidates, np.ones(len(candidates), dtype=np.float32)
    squared = 2.0 - 2.0 * points[candidates] @ points[references].T
    squared[candidates[:, None] == references[None, :]] = np.inf  # not its own neighbour
    k = min(neighbour_count, len(references) - 1)
    nearest = np.sqrt(np.maximum(np.partition(squared, k - 1, axis=1)[:, :k], 0.0))
    return candidates, np.asarray(1.0 / (nearest.mean(axis=1) + 1e-6), dtype=np.float32)


def _subsample(indices: IndexArray, limit: int, rng: np.random.Generator) -> IndexArray:
    return indices if len(indices) <= limit else np.sort(rng.choice(indices, limit, False))


def select_typical(
    representations: NDArray[np.floating],
    labeled_indices: Sequence[int] | NDArray[np.integer],
    count: int,
    seed: int = 0,
    neighbour_count: int = 20,
    max_cluster_count: int = 500,
) -> list[Pick]:
    """TypiClust picks: the densest unlabeled image of the clusters with the fewest labels,
    largest clusters first. Clusters: k-means into ``labeled + count`` (capped) groups."""
    points = normalize_rows(representations)
    labeled = np.asarray(labeled_indices, dtype=np.int64)
    cluster_ids = cluster_representations(
        points, min(len(labeled) + count, max_cluster_count), seed
    )
    return _pick_typical_in_clusters(points, cluster_ids, labeled, count, neighbour_count, seed)


def _pick_typical_in_clusters(
    points: FloatArray,
    cluster_ids: IndexArray,
    labeled: IndexArray,
    count: int,
    neighbour_count: int,
    seed: int,
) -> list[Pick]:
    sizes = np.bincount(cluster_ids)
    label_counts = np.bincount(cluster_ids[labeled], minlength=len(sizes)).astype(np.int64)
    taken = np.zeros(len(points), dtype=bool)
    taken[labeled] = True
    typicality: dict[int, tuple[IndexArray, FloatArray]] = {}
    picks: list[Pick] = []
    while len(picks) < count:
        members_left = np.bincount(cluster_ids[~taken], minlength=len(sizes))
        if not members_left.any():
            break
        # fewest labels first, then the largest cluster: lexsort's last key is the primary one
        open_clusters = np.flatnonzero(members_left > 0)
        order = np.lexsort((-sizes[open_clusters], label_counts[open_clusters]))
        cluster = int(open_clusters[order[0]])
        members = np.flatnonzero(cluster_ids == cluster)
        if cluster not in typicality:
            open_members = members[~taken[members]]
            typicality[cluster] = compute_typicality(
                points, open_members, members, neighbour_count, seed
            )
        candidates, scores = typicality[cluster]
        scores = _exclude_near_duplicates(points, candidates, members[taken[members]], scores)
        if not np.isfinite(scores).any():
            taken[candidates] = True  # all picked or near-duplicates; resample if any remain
            del typicality[cluster]
            continue
        best = int(candidates[np.argmax(scores)])
        reason = _describe_cluster(sizes[cluster], label_counts[cluster])
        picks.append(Pick(best, float(scores.max()), reason, "typical"))
        taken[best] = True
        label_counts[cluster] += 1
    return picks


def _exclude_near_duplicates(
    points: FloatArray, candidates: IndexArray, taken_members: IndexArray, scores: FloatArray
) -> FloatArray:
    """``scores`` with taken candidates and near-duplicates of taken members set to ``-inf``."""
    excluded = np.isin(candidates, taken_members)
    if len(taken_members) > 0:
        similarity = points[candidates] @ points[taken_members].T
        excluded |= similarity.max(axis=1) >= DUPLICATE_COSINE
    return np.where(excluded, -np.inf, scores).astype(np.float32)


def _describe_cluster(size: int, labeled: int) -> str:
    if labeled == 0:
        return f"densest image of an unlabeled cluster of {size}"
    return f"densest remaining image of a cluster of {size} with {labeled} labeled"


def select_core_set(
    representations: NDArray[np.floating],
    labeled_indices: Sequence[int] | NDArray[np.integer],
    count: int,
    seed: int = 0,
    candidate_limit: int = 20_000,
) -> list[Pick]:
    """k-center greedy: repeatedly take the image farthest from everything labeled or picked.

    With no labels the first pick is random (seeded). Score is that farthest distance. Beyond
    ``candidate_limit`` unlabeled images, candidates are a seeded random subset of them (the
    usual speed-up; distances to labeled images stay exact).
    """
    points = normalize_rows(representations)
    labeled = np.asarray(labeled_indices, dtype=np.int64)
    rng = np.random.default_rng(seed)
    pool = find_unlabeled(len(points), labeled)
    if len(pool) > candidate_limit:
        pool = np.sort(rng.choice(pool, candidate_limit, replace=False))
    candidates = points[pool]
    nearest = _distance_to_nearest(candidates, points[labeled])
    picks: list[Pick] = []
    if len(labeled) == 0 and count > 0 and len(pool) > 0:
        first = int(rng.integers(len(pool)))
        picks.append(Pick(int(pool[first]), 0.0, "random start (nothing labeled yet)", "core_set"))
        nearest = np.minimum(nearest, _distance_to(candidates, candidates[first]))
        nearest[first] = -1.0
    for _ in range(min(count, len(pool)) - len(picks)):
        farthest = int(np.argmax(nearest))
        distance = float(nearest[farthest])
        reason = f"covers a gap: {distance:.2f} from the nearest labeled image"
        picks.append(Pick(int(pool[farthest]), distance, reason, "core_set"))
        nearest = np.minimum(nearest, _distance_to(candidates, candidates[farthest]))
        nearest[farthest] = -1.0
    return picks


def _distance_to(points: FloatArray, target: FloatArray) -> FloatArray:
    return np.asarray(np.sqrt(np.maximum(2.0 - 2.0 * points @ target, 0.0)), np.float32)


def _distance_to_nearest(points: FloatArray, anchors: FloatArray, block: int = 4096) -> FloatArray:
    """Distance ``(images,)`` from each unit row to its nearest anchor row, in anchor blocks."""
    nearest = np.full(len(points), np.inf, dtype=np.float32)
    for start in range(0, len(anchors), block):
        similarity = points @ anchors[start : start + block].T
        nearest = np.minimum(nearest, np.sqrt(np.maximum(2.0 - 2.0 * similarity.max(axis=1), 0.0)))
    return nearest


def select_default(
    representations: NDArray[np.floating],
    labeled_indices: Sequence[int] | NDArray[np.integer],
    count: int,
    probabilities: NDArray[np.floating] | None = None,
    class_names: Sequence[str] | None = None,
    seed: int = 0,
    labels: Sequence[int] | NDArray[np.integer] | None = None,
    uncertain_half_at: float = CLASS_SHARE_HALF_AT,
    typical_half_at: float = TYPICAL_HALF_AT,
    label_counts: NDArray[np.integer] | None = None,
) -> list[Pick]:
    """Typical picks for the clusters with the fewest labels, picks for the classes with the
    fewest labels, and the images the model is least sure of.

    Without ``probabilities`` (nothing trained yet) every pick is typical (TypiClust). With
    them, ``m`` labels per class:

    * a share ``m / (m + uncertain_half_at)`` of the batch (a half at 5 per class,
      :data:`CLASS_SHARE_HALF_AT`) goes to the classes with the fewest labels (see
      :func:`select_for_weak_classes`): the images the model predicts as such a class with the
      smallest margin, one per k-means cluster of them;
    * of the rest, a share ``typical_half_at / (m + typical_half_at)`` (a fifth at 2 per
      class, :data:`TYPICAL_HALF_AT`) are typical picks, which also find the classes that have
      no label yet: those (by ``labels``, the classes of ``labeled_indices``; without them,
      the argmax of ``probabilities`` on the labeled rows) get no class picks, since the
      model cannot know them;
    * the others are the images with the smallest margin between the model's first and second
      guess, one per k-means cluster of them (:func:`select_diverse_uncertain`).

    Their strategy is ``default``, except the last kind's: ``margin``. No pick is a
    near-duplicate (cosine >= 0.95) of another. ``label_counts`` (per class) replaces the
    counts of ``labels`` in ``m``, the class shares and their reasons: the app counts a
    person's labels only, not accepted predictions, which are the model's own answers.
    """
    labeled = np.asarray(labeled_indices, dtype=np.int64)
    points = normalize_rows(representations)
    weak: list[Pick] = []
    uncertain: list[Pick] = []
    if probabilities is not None and len(labeled) > 0:
        probabilities = np.asarray(probabilities, dtype=np.float32)
        class_count = probabilities.shape[1]
        known = probabilities[labeled].argmax(axis=1) if labels is None else np.asarray(labels)
        if label_counts is None:
            label_counts = np.bincount(known[known < class_count], minlength=class_count)
        labels_per_class = int(np.sum(label_counts)) / class_count
        weak_count = round(count * labels_per_class / (labels_per_class + uncertain_half_at))
        names = _resolve_class_names(class_names, class_count)
        weak = select_for_weak_classes(
            points, probabilities, labeled, weak_count, names, seed, label_counts
        )
        rest = count - weak_count
        typical_count = round(rest * typical_half_at / (labels_per_class + typical_half_at))
        uncertain = select_diverse_uncertain(
            points, probabilities, labeled, count - len(weak) - typical_count, names, seed, weak
        )
    chosen = [pick.index for pick in weak + uncertain]
    taken = np.concatenate([labeled, np.array(chosen, dtype=np.int64)])
    typical = select_typical(points, taken, count - len(chosen), seed)
    least_sure = {pick.index for pick in uncertain}
    return [
        Pick(
            pick.index, pick.score, pick.reason, "margin" if pick.index in least_sure else "default"
        )
        for pick in _interleave(typical, _interleave(weak, uncertain))
    ]


def select_diverse_uncertain(
    points: FloatArray,
    probabilities: NDArray[np.floating],
    labeled: IndexArray,
    count: int,
    class_names: Sequence[str],
    seed: int,
    earlier: list[Pick],
) -> list[Pick]:
    """Up to ``count`` of the images the model is least sure of (smallest margin between its
    first and second guess), none labeled or in ``earlier``, one per k-means cluster of the
    ``4 x count`` least sure (see :func:`_pick_diverse`)."""
    unlabeled = find_unlabeled(len(points), labeled)
    unlabeled = unlabeled[~np.isin(unlabeled, [pick.index for pick in earlier])]
    if count <= 0 or len(unlabeled) == 0:
        return []
    scores = score_uncertainty(np.asarray(probabilities)[unlabeled], "margin")
    ranked = np.argsort(-scores, kind="stable")
    return [
        Pick(
            int(unlabeled[row]),
            float(scores[row]),
            describe_uncertainty(probabilities[unlabeled[row]], class_names),
            "margin",
        )
        for row in _pick_diverse(points, unlabeled, ranked, count, earlier, seed)
    ]


def select_for_weak_classes(
    points: FloatArray,
    probabilities: NDArray[np.floating],
    labeled: IndexArray,
    count: int,
    class_names: Sequence[str],
    seed: int,
    label_counts: NDArray[np.integer],
) -> list[Pick]:
    """``count`` picks shared out to the classes with the fewest labels (``label_counts``, a
    class's count rising with each pick it gets; classes without a label get none: the model
    cannot know them, or, in the app, knows them only from accepted predictions); per class,
    the images the model predicts as that class with the smallest margin to its second guess,
    one per k-means cluster of ``4 x`` its share.

    On the unbalanced real-photo pool of benchmarks/simulated_labeler.py (20 seeds, the share
    then half at 10 labels per class) this found the rare classes better than sharing by
    estimated recall, which the model's own probabilities get wrong for the classes it rarely
    predicts: worst-class recall at 100 labels +13.9 points over random picks (was +4.0),
    mean accuracy +3.5 (was +2.6). Tried since and no better (worst-class recall at 100
    labels +7 to +11 against +13, seed noise +-7): a class's images taken as those where it
    is among the model's top two, or those whose nearest labeled image is of the class; ties
    between classes broken by the fewest images predicted as the class. Tried later (60 seeds,
    paired against this rule, +11.5 +- 3.5 over random): a class share half at 1, 2 or 3
    labels per class (+10.2, +9.7, +10.6); typical picks preferring clusters the model
    predicts as a class with few labels (+1.6 +- 2.1 over this rule), a class's picks
    continued past its predicted images by its probability (+1.4 +- 1.5), both (+0.2 +-
    2.2); and at 20 seeds, ranking a class's images by typicality or by confidence instead of
    margin (+2.2, +2.7 over random) or sharing by out-of-fold recall (+7.7). Tried later (60
    seeds, against this rule): ranking a class's images by confidence (-4.2 +- 2.5) or by the
    distance of the margin from 0.5 (-3.5 +- 2.5), or by the margin or confidence of
    probabilities divided by each class's label count (-2.0, -4.1). Sending most of the
    typical share to the least sure images instead (200 seeds: +3.1 +- 1.4 worst-class recall,
    +1.3 accuracy at 100 labels) first made the estimate on the labels read 22 points low
    (commit 8f9b657, reverted); it came back once the app stopped calibrating its expected
    accuracy with the labels of least-sure picks (see :func:`select_default`). Tried later (20
    seeds, paired): a class with fewer than 2 or 3 labels taking the images the model most
    surely predicts as it, to find its examples: worst-class recall at 100 labels -4.1 +- 4.0
    and -5.0 +- 4.1, accuracy at 20 labels -2.7; the dashboard links to those images instead.
    On an unbalanced draw of 3,000 Fashion-MNIST photos (same shares, 60 seeds, self-training)
    the default queue's worst-class recall at 100 labels is +9.8 +- 2.5 over random picks;
    the oracle, which takes the densest images of each true class, +11.2 +- 2.4."""
    unlabeled = find_unlabeled(len(points), labeled)
    if count <= 0 or len(unlabeled) == 0:
        return []
    rows = np.asarray(probabilities, dtype=np.float32)[unlabeled]
    ranked = -np.sort(-rows, axis=1)
    margin = ranked[:, 0] - (ranked[:, 1] if rows.shape[1] > 1 else 0.0)
    predicted = rows.argmax(axis=1)
    counts = np.asarray(label_counts, dtype=np.int64)
    available = np.where(counts > 0, np.bincount(predicted, minlength=rows.shape[1]), 0)
    allocation = np.zeros(rows.shape[1], dtype=np.int64)
    for _ in range(min(count, len(unlabeled))):
        open_classes = allocation < available
        if not open_classes.any():
            break
        label = int(np.argmin(np.where(open_classes, counts + allocation, np.iinfo(np.int64).max)))
        allocation[label] += 1
    picks: list[Pick] = []
    for label in np.argsort(counts, kind="stable"):
        if allocation[label] == 0:
            continue
        members = np.flatnonzero(predicted == label)
        members = members[np.argsort(margin[members], kind="stable")]
        members = members[~np.isin(unlabeled[members], [p.index for p in picks])]
        plural = "" if counts[label] == 1 else "s"
        rare = f"{class_names[label]} had only {counts[label]} label{plural} when picked"
        for row in _pick_diverse(points, unlabeled, members, int(allocation[label]), picks, seed):
            index = int(unlabeled[row])
            # not "torn": the margin may be wide, it is only the smallest among these images
            reason = f"{rare}; model's guess {_guesses(probabilities[index], class_names)}"
            picks.append(Pick(index, float(1.0 - margin[row]), reason, "margin"))
    return picks


def _pick_diverse(
    points: FloatArray,
    unlabeled: IndexArray,
    ranked_rows: IndexArray,
    count: int,
    earlier: list[Pick],
    seed: int,
) -> list[int]:
    """Up to ``count`` rows of ``ranked_rows`` (best first, rows of ``unlabeled``): the best
    of each k-means cluster of the first ``4 x count``, then the rest in rank order, never a
    near-duplicate (cosine >= 0.95) of an earlier pick or of each other."""
    if count <= 0 or len(ranked_rows) == 0:
        return []
    head = ranked_rows[: 4 * count]
    cluster_ids = cluster_representations(points[unlabeled[head]], count, seed)
    first_in_cluster = np.sort(np.unique(cluster_ids, return_index=True)[1])
    chosen = [pick.index for pick in earlier]
    picked: list[int] = []
    for row in np.concatenate([head[first_in_cluster], ranked_rows]):
        index = int(unlabeled[row])
        if len(picked) == count:
            break
        if chosen and float((points[chosen] @ points[index]).max()) >= DUPLICATE_COSINE:
            continue
        chosen.append(index)
        picked.append(int(row))
    return picked


def _interleave(first: list[Pick], second: list[Pick]) -> list[Pick]:
    """Both lists merged so that each stays in order and is spread evenly over the result."""
    total = len(first) + len(second)
    if total == 0:
        return []
    keyed = [((n + 0.5) / len(first), 0, pick) for n, pick in enumerate(first)]
    keyed += [((n + 0.5) / len(second), 1, pick) for n, pick in enumerate(second)]
    return [pick for _, _, pick in sorted(keyed, key=lambda item: (item[0], item[1]))]


def select_batch(
    strategy: str,
    representations: NDArray[np.floating],
    labeled_indices: Sequence[int] | NDArray[np.integer],
    count: int,
    probabilities: NDArray[np.floating] | None = None,
    class_names: Sequence[str] | None = None,
    seed: int = 0,
    labels: Sequence[int] | NDArray[np.integer] | None = None,
    label_counts: NDArray[np.integer] | None = None,
) -> list[Pick]:
    """Run the strategy named ``strategy`` (one of :data:`STRATEGY_NAMES`); ``label_counts``
    as :func:`select_default` takes them.

    Raises ``ValueError`` for an unknown name, or for an uncertainty strategy without
    ``probabilities`` (cold start: use ``typical`` or ``default``).
    """
    if strategy == "random":
        return select_random(len(representations), labeled_indices, count, seed)
    if strategy == "typical":
        return select_typical(representations, labeled_indices, count, seed)
    if strategy == "core_set":
        return select_core_set(representations, labeled_indices, count, seed)
    if strategy == "default":
        return select_default(
            representations, labeled_indices, count, probabilities, class_names, seed, labels,
            label_counts=label_counts,
        )  # fmt: skip
    if strategy in UNCERTAINTY_MEASURES:
        if probabilities is None:
            raise ValueError(f"strategy {strategy!r} needs class probabilities; none given")
        return select_uncertain(probabilities, labeled_indices, count, strategy, class_names)
    raise ValueError(f"unknown strategy {strategy!r}; use one of {STRATEGY_NAMES}")


def _resolve_class_names(class_names: Sequence[str] | None, class_count: int) -> Sequence[str]:
    if class_names is None:
        return [f"class {number}" for number in range(class_count)]
    if len(class_names) != class_count:
        raise ValueError(f"{len(class_names)} class names for {class_count} probability columns")
    return class_names
