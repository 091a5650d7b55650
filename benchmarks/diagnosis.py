"""The memorization diagnosis with and without a shortcut (sets its thresholds).

Usage: python benchmarks/diagnosis.py [--quick]
writes benchmarks/results/diagnosis.md (``--quick``: one seed, printed only).

:class:`skmat.diagnosis.MemorizationDiagnosis` on eight problems, three seeds,
held-out probabilities from 5-fold cross-validation and from XRM twins:

* with a shortcut: the paper's Figure 1 problem (noise_std 0.5), coloured
  digits with 2 and with 10 classes (the colour agrees with the label on 90% of
  the training rows, 25% label noise);
* without one: the Figure 1 problem with noise_std 0 (nothing to memorize with),
  coloured digits whose colour agrees with the label by chance only (25% label
  noise), scikit-learn's handwritten digits (10 classes), and
  ``make_classification`` with 1% and 20% of its labels flipped.

For each run it records the share of conflicting examples (the held-out models'
mistakes), of memorized ones (right in-sample, wrong held-out), the held-out
accuracy on the conflicting examples of the check nets (trained with MAT's
shift) and of the control nets (trained plainly), their difference (the
``lift``), the verdict, the
ROC AUC of the memorization score against the true minority and the agreement
of the inferred groups with the true ones (where the problem has them), and the
trainings run. The verdict's thresholds (``skmat.diagnosis.CONFLICTING_MIN`` and
``LIFT_MIN``) are chosen inside the gaps this table shows.
"""

from __future__ import annotations

import argparse
import pathlib
import time

import numpy as np
from sklearn.datasets import load_digits, make_classification
from sklearn.metrics import adjusted_rand_score, roc_auc_score

from _common import machine_description, paper_linear_net
from skmat.datasets import make_colored_digits, make_spurious_classification
from skmat.diagnosis import CONFLICTING_MIN, LIFT_MIN, MemorizationDiagnosis
from skmat.mlp import mlp_net

RESULTS = pathlib.Path(__file__).parent / "results"
SEEDS = [0, 1, 2]


def figure1(noise_std):
    def make(seed):
        X, y, groups = make_spurious_classification(
            1000, 1800, noise_std=noise_std, random_state=seed
        )
        return X, y, groups, paper_linear_net()

    return make


def colored_digits(n_classes, agreement):
    def make(seed):
        X, y, groups = make_colored_digits(
            "train", n_classes=n_classes, color_agreement=agreement, random_state=seed
        )
        return X, y, groups, mlp_net((128, 64), max_epochs=20)

    return make


def digits(seed):
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y, None, mlp_net((64,), max_epochs=60)


def classification(flip_y):
    def make(seed):
        X, y = make_classification(
            1000, 20, n_informative=5, flip_y=flip_y, random_state=seed
        )
        return X, y, None, mlp_net((64,), max_epochs=100)

    return make


#: name -> (maker, has a shortcut, description)
PROBLEMS = {
    "Figure 1": (
        figure1(0.5),
        True,
        "n=1000, d=1800, noise_std=0.5; bias-free linear net, full-batch SGD "
        "lr 1e-2, 1000 epochs",
    ),
    "coloured digits, 2 classes": (
        colored_digits(2, 0.9),
        True,
        "1000 rows, colour agrees with the label on 90%, 25% label noise; MLP "
        "128-64, Adam lr 1e-3, batch 128, 20 epochs",
    ),
    "coloured digits, 10 classes": (
        colored_digits(10, 0.9),
        True,
        "1000 rows, 10 colours, colour agrees with the label on 90%, 25% label "
        "noise; MLP 128-64, 20 epochs",
    ),
    "Figure 1, noise_std=0": (
        figure1(0.0),
        False,
        "as Figure 1 without the example-specific noise features",
    ),
    "coloured digits, colour by chance": (
        colored_digits(2, 0.5),
        False,
        "as coloured digits, 2 classes, but the colour agrees with the label on "
        "50% (no shortcut); 25% label noise",
    ),
    "digits": (
        digits,
        False,
        "scikit-learn's 1797 handwritten digits, 10 classes; MLP 64, 60 epochs",
    ),
    "make_classification, 1% flipped": (
        classification(0.01),
        False,
        "1000 rows, 20 features (5 informative), flip_y=0.01; MLP 64, 100 epochs",
    ),
    "make_classification, 20% flipped": (
        classification(0.2),
        False,
        "as above with flip_y=0.2",
    ),
}


def run(name, holdout, seed):
    make, shortcut, _ = PROBLEMS[name]
    X, y, groups, net = make(seed)
    start = time.perf_counter()
    diagnosis = MemorizationDiagnosis(net, holdout=holdout, random_state=seed)
    diagnosis.fit(X.astype(np.float32), y)
    seconds = time.perf_counter() - start
    report = diagnosis.report_
    row = {
        "problem": name,
        "shortcut": shortcut,
        "holdout": holdout,
        "seed": seed,
        "conflicting": report.conflicting_fraction,
        "memorized": report.memorized_fraction,
        "recovered": report.recovered_fraction,
        "control": report.control_fraction,
        "lift": report.lift,
        "control_error": report.control_error,
        "verdict": report.verdict,
        "fits": sum(diagnosis.n_fits_.values()),
        "seconds": seconds,
        "auc": np.nan,
        "agreement": np.nan,
        "ari": np.nan,
    }
    if groups is not None:
        n_classes = len(np.unique(y))
        minority = groups % n_classes != y
        conflicting = diagnosis.inferred_groups_ % 2 == 1
        if 0 < minority.sum() < len(y):
            row["auc"] = roc_auc_score(minority, diagnosis.memorization_score_)
        row["agreement"] = float(np.mean(conflicting == minority))
        row["ari"] = adjusted_rand_score(2 * y + minority, diagnosis.inferred_groups_)
    print({k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()})
    return row


def fmt(value):
    return "-" if value is None or np.isnan(value) else f"{value:.3f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one seed, no file")
    args = parser.parse_args()
    seeds = SEEDS[:1] if args.quick else SEEDS
    rows = [
        run(name, holdout, seed)
        for name in PROBLEMS
        for holdout in ("cv", "xrm")
        for seed in seeds
    ]
    lines = [
        "# The memorization diagnosis and its thresholds",
        "",
        "`python benchmarks/diagnosis.py`: `skmat.diagnosis.MemorizationDiagnosis` "
        "(defaults: 5-fold CV or XRM held-out, temperature 0.1) on problems with "
        f"and without a shortcut, seeds {seeds}, float32 inputs.",
        "",
        "Columns: *conflicting*, the share of examples the held-out models get "
        "wrong; *memorized*, right in-sample and wrong held-out; *recovered*, the "
        "check nets' (trained with MAT's shift) held-out accuracy on the "
        "conflicting examples; *control*, the same for the control nets (trained "
        "plainly on the same folds, another seed than the held-out models); "
        "*lift*, recovered minus control; *AUC*, ROC AUC of the memorization "
        "score against the true minority (the examples whose spurious attribute "
        "disagrees with the label); *agreement*, share of examples whose "
        "inferred group (label, conflicting) is their true group (label, "
        "minority); *ARI*, adjusted Rand index of the same two groupings; "
        "*fits*, trainings of the net run.",
        "",
        "## Problems",
        "",
    ]
    for name, (_, shortcut, text) in PROBLEMS.items():
        lines.append(
            f"* **{name}** ({'shortcut' if shortcut else 'no shortcut'}): {text}."
        )
    lines += [
        "",
        "## Runs",
        "",
        "| problem | held-out | seed | conflicting | memorized | recovered "
        "| control | lift | verdict | AUC | agreement | ARI | fits | seconds |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['problem']} | {r['holdout']} | {r['seed']} "
            f"| {fmt(r['conflicting'])} | {fmt(r['memorized'])} "
            f"| {fmt(r['recovered'])} | {fmt(r['control'])} | {fmt(r['lift'])} "
            f"| {r['verdict']} "
            f"| {fmt(r['auc'])} | {fmt(r['agreement'])} | {fmt(r['ari'])} "
            f"| {r['fits']} | {r['seconds']:.0f} |"
        )

    def extreme(func, key, shortcut, holdout):
        values = [
            r[key]
            for r in rows
            if r["shortcut"] == shortcut
            and r["holdout"] == holdout
            and not np.isnan(r[key])
        ]
        return func(values) if values else np.nan

    def count(verdict, shortcut, holdout):
        chosen = [
            r for r in rows if r["shortcut"] == shortcut and r["holdout"] == holdout
        ]
        return sum(r["verdict"] == verdict for r in chosen), len(chosen)

    noiseless = "Figure 1, noise_std=0"
    least = min(r["conflicting"] for r in rows if r["problem"] != noiseless)
    lines += ["", "## The thresholds", ""]
    for holdout in ("cv", "xrm"):
        hit, runs = count("shortcut", True, holdout)
        false, others = count("shortcut", False, holdout)
        lines.append(
            f"* Lift with {holdout} held-out models: at most "
            f"{fmt(extreme(max, 'lift', False, holdout))} on the problems without "
            f"a shortcut, at least {fmt(extreme(min, 'lift', True, holdout))} on "
            f"those with one; with `LIFT_MIN` = {LIFT_MIN}, {hit} of the {runs} "
            f"runs with a shortcut are called *shortcut*, and {false} of the "
            f"{others} runs without one."
        )
    lines += [
        f"* Conflicting share: 0 with cv held-out models on {noiseless} (the "
        f"verdict *nothing* without a check), at least {fmt(least)} on every "
        f"other problem; `CONFLICTING_MIN` = {CONFLICTING_MIN}. With XRM "
        f"held-out models {noiseless} has conflicting examples (the twins, each "
        "trained on half the rows, still follow the shortcut) but the control "
        "nets get them all right: the verdict *nothing* by the control's error.",
        "",
        f"Machine: {machine_description()}",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.quick:
        (RESULTS / "diagnosis.md").write_text(text)


if __name__ == "__main__":
    main()
