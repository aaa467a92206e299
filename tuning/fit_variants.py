"""Compare confidence variants by 5-fold cross-validation on the fit questions only.

Each variant (a set of features and an off-topic floor for the threshold) is
fitted on four folds of every knowledge base's fit questions and scored on
the fifth, in turn; the figures are pooled over the held-out folds. The fusion
weights are those ``tuning/fit.py`` chooses (a ranking choice, made on all
fit questions). Nothing here reads ``../shared/eval`` or the RQE test split.

Run: ``.venv/bin/python tuning/fit_variants.py [--cache FILE]`` (``--cache``
keeps the computed signals in a pickle, for reruns).
"""

from __future__ import annotations

import argparse
import pickle
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import fit  # noqa: E402

from backcare import load_pack  # noqa: E402

VARIANTS: tuple[tuple[str, tuple[str, ...], float], ...] = (
    ("4 features, floor 0.95", ("score", "margin", "coverage", "anchor"), 0.95),
    ("5 features, floor 0.95", fit.FEATURES, 0.95),
    ("5 features, floor 0.97", fit.FEATURES, 0.97),
    ("5 features, floor 0.92", fit.FEATURES, 0.92),
    ("no margin, floor 0.95", ("score", "coverage", "anchor", "relevance"), 0.95),
    ("score + anchor + relevance, floor 0.95", ("score", "anchor", "relevance"), 0.95),
)


def cross_validate(t: fit.Table, columns: list[int], floor: float) -> dict[str, dict[str, float]]:
    """Figures per knowledge base, each question scored by a model fitted without its fold."""
    answer = np.zeros(len(t.right), dtype=bool)
    for fold in range(5):
        train = t.fold != fold
        part = fit.Table(
            t.x[train], t.right[train], t.oos[train], t.kb[train], t.weight[train], t.fold[train]
        )
        w, threshold = fit.fit_confidence(part, columns, floor)
        x = np.zeros_like(t.x[~train])
        x[:, columns] = t.x[~train][:, columns]
        answer[~train] = 1 / (1 + np.exp(-(w[0] + x @ w[1:]))) >= threshold
    return fit.figures(t, answer)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path)
    args = parser.parse_args()
    if args.cache and args.cache.exists():
        data = pickle.loads(args.cache.read_bytes())
    else:
        data = fit.collect()
        if args.cache:
            args.cache.write_bytes(pickle.dumps(data))
    weights, share = fit.fit_weights(data)
    ranking = {n: fit._ranking_score(d[0], weights, share) for n, d in data.items()}
    dense_only = {n: fit._ranking_score(d[0], (1.0, 0.0, 0.0), 0.0) for n, d in data.items()}
    print(f"fusion {weights} share {share}")
    for name in data:
        print(
            f"{name}: top-1 {ranking[name][0]:.3f}; dense signal alone (~ minilm_q) "
            f"{dense_only[name][0]:.3f}"
        )
    params = load_pack().params
    t = fit.table(data, weights, share, params)
    for label, names, floor in VARIANTS:
        columns = [fit.FEATURES.index(n) for n in names]
        print(label, cross_validate(t, columns, floor), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
