"""MAT on data you don't know: the shortcut problems beside controls without one.

Usage:
    python benchmarks/controls.py          # full run: benchmarks/results/controls.md
    python benchmarks/controls.py --quick     # smoke run (1 seed, two problems)
    python benchmarks/controls.py --report-only \
        benchmarks/results/controls.json          # redraw from the raw records

People run MAT because they suspect a shortcut they cannot see, so it meets data
with none. This benchmark fits every row on every problem with no group label
and no search: the estimator as a user without group labels constructs it.

Problems (test split scored; groups, where a problem has them, are used for
scoring only):

* shortcut problems, the four of ``benchmarks/table1.py`` (Figure 1, coloured
  digits as tables and as images, the spurious keyword), each with the net of
  that benchmark at its default learning rate and no weight decay;
* controls: scikit-learn's handwritten digits (10 classes, standardised);
  ``make_classification(4000, 20, n_informative=10, flip_y=0.05)``; ten
  imbalanced classes (30% down to 1%); the Figure 1 problem with
  ``noise_std=0`` (nothing to memorize); a partial shortcut (the spurious feature
  agrees with the label on 80% of the training rows, 50% of the test rows); the
  breast cancer table bundled with scikit-learn (real data, no known shortcut).

Rows: ERM, logit adjustment by the class prior, and MAT variants. Each fit is
timed; "fit / ERM" is the ratio to the ERM fit of the same problem and seed, run
in the same process just before it.

Fits run one at a time on one torch thread, so that timings are comparable on a
machine where other work runs; the machine and its load are written in the
results.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
import time
import warnings

import numpy as np

from _common import machine_description

HERE = pathlib.Path(__file__).parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE))


# -------------------------------------------------------------------- problems
class Problem:
    def __init__(self, name, title, kind, train, test, net, metrics, note):
        self.name, self.title, self.kind = name, title, kind
        self.train, self.test = train, test
        self.net = net  # skorch net, or None for skmat's default MLP
        self.metrics = metrics
        self.note = note


def _split_table(X, y, seed=0, scale=True):
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.5, stratify=y, random_state=seed
    )
    if scale:
        scaler = StandardScaler().fit(X_tr)
        X_tr, X_te = scaler.transform(X_tr), scaler.transform(X_te)
    return (X_tr.astype(np.float32), y_tr, None), (X_te.astype(np.float32), y_te, None)


def imbalanced_weights(n_classes=10, largest=0.30, smallest=0.01):
    """Class proportions falling geometrically from ``largest`` to ``smallest``,
    the middle ones scaled so that the ten sum to one."""
    w = np.geomspace(largest, smallest, n_classes)
    inner = w[1:-1] * (1 - largest - smallest) / w[1:-1].sum()
    return np.r_[largest, inner, smallest]


def problem(name):
    import table1
    from sklearn.datasets import load_breast_cancer, load_digits, make_classification

    from skmat.datasets import make_spurious_splits

    if name in table1.PROBLEMS:
        prob = table1.problem(name, False)
        setting = {"lr": table1._default_lr(prob), "weight_decay": 0.0}
        return Problem(
            name,
            prob.title,
            "shortcut",
            prob.train,
            prob.test,
            table1.make_net(prob, setting),
            ("accuracy", "worst_group"),
            prob.description,
        )
    if name in ("figure1_clean", "figure1_partial"):
        from _common import paper_linear_net

        clean = name == "figure1_clean"
        data = make_spurious_splits(
            1000,
            1800,
            noise_std=0.0 if clean else 0.5,
            majority_fraction=(0.9, 0.5, 0.5) if clean else (0.8, 0.5, 0.5),
            random_state=0,
        )
        return Problem(
            name,
            "Figure 1, noise_std=0" if clean else "Figure 1, partial shortcut (80%)",
            "control",
            data.train,
            data.test,
            paper_linear_net(),
            ("accuracy", "worst_group"),
            "The Figure 1 problem with nothing to memorize (noise_std=0)"
            if clean
            else "The Figure 1 problem with the spurious feature agreeing with the "
            "label on 80% of the training rows (50% of test rows)",
        )
    if name == "digits10":
        X, y = load_digits(return_X_y=True)
        train, test = _split_table(X, y)
        return Problem(
            name,
            "Handwritten digits, 10 classes",
            "control",
            train,
            test,
            None,
            ("accuracy",),
            "sklearn.datasets.load_digits, standardised, half for training; "
            "skmat's default MLP",
        )
    if name == "classification":
        X, y = make_classification(
            4000, 20, n_informative=10, flip_y=0.05, random_state=0
        )
        train, test = _split_table(X, y)
        return Problem(
            name,
            "make_classification, 5% label noise",
            "control",
            train,
            test,
            None,
            ("accuracy",),
            "make_classification(4000, 20, n_informative=10, flip_y=0.05), half for "
            "training; skmat's default MLP",
        )
    if name == "imbalanced":
        X, y = make_classification(
            6000,
            20,
            n_informative=10,
            n_classes=10,
            weights=imbalanced_weights(),
            random_state=0,
        )
        train, test = _split_table(X, y)
        return Problem(
            name,
            "10 imbalanced classes (30% to 1%)",
            "control",
            train,
            test,
            None,
            ("accuracy", "balanced"),
            "make_classification(6000, 20, n_informative=10, n_classes=10), class "
            "proportions falling geometrically from 30% to 1%, half for training; "
            "skmat's default MLP",
        )
    if name == "breast_cancer":
        X, y = load_breast_cancer(return_X_y=True)
        train, test = _split_table(X, y)
        return Problem(
            name,
            "Breast cancer (real, no known shortcut)",
            "control",
            train,
            test,
            None,
            ("accuracy",),
            "sklearn.datasets.load_breast_cancer, standardised, half for training; "
            "skmat's default MLP",
        )
    raise ValueError(name)


SHORTCUT = ("figure1", "digits", "images", "text")
CONTROLS = (
    "digits10",
    "classification",
    "imbalanced",
    "figure1_clean",
    "figure1_partial",
    "breast_cancer",
)


# ------------------------------------------------------------------------ rows
def _mat(**params):
    def build(net, seed):
        import skmat

        return skmat.MATClassifier(net, random_state=seed, **params)

    return build


def _plain(name):
    def build(net, seed):
        import skmat

        return getattr(skmat, name)(net, random_state=seed)

    return build


ROWS = {
    "ERM": _plain("ERMClassifier"),
    "Logit adjustment (class prior)": _plain("LogitAdjustedClassifier"),
    "MAT (defaults)": _mat(),
    "MAT (before: cv=5, full budget)": _mat(holdout="cv", cv=5, holdout_epochs=None),
    "MAT (XRM, full budget)": _mat(holdout="xrm", holdout_epochs=None),
    "MAT (XRM, holdout_epochs=0.25)": _mat(holdout="xrm", holdout_epochs=0.25),
    "MAT (cv=2, holdout_epochs=0.1)": _mat(holdout="cv", cv=2, holdout_epochs=0.1),
}


def _variant(spec):
    """A MAT row from ``key=value,key=value`` (values parsed as Python)."""
    import ast

    params = {}
    for item in spec.split(","):
        key, value = item.split("=", 1)
        try:
            params[key.strip()] = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            params[key.strip()] = value.strip()
    return _mat(**params)


# -------------------------------------------------------------------- scoring
def scores(prob, clf):
    from sklearn.metrics import balanced_accuracy_score

    from skmat.metrics import worst_group_accuracy

    X, y, groups = prob.test
    y_pred = clf.predict(X)
    out = {"accuracy": float(np.mean(y_pred == y))}
    out["balanced"] = float(balanced_accuracy_score(y, y_pred))
    if groups is not None:
        out["worst_group"] = float(worst_group_accuracy(y, y_pred, groups=groups))
    return out


def mat_details(prob, clf):
    """What the fitted MAT saw: held-out and final training accuracies, the
    shifted loss at zero logits, the smallest transition diagonal, the guard."""
    if not hasattr(clf, "shift_"):
        return {}
    X, y, _ = prob.train
    y_enc = np.searchsorted(clf.classes_, y)
    details = {
        "holdout_acc": float(np.mean(clf.holdout_proba_.argmax(1) == y_enc)),
        "zero_logit_loss": float(-np.mean(clf.shift_[np.arange(len(y)), y_enc])),
        "min_diagonal": float(np.min(np.diag(clf.transition_matrix_))),
        "final_train_acc": float(np.mean(clf.predict(X) == y)),
    }
    for name in ("fallback_", "guard_"):
        value = getattr(clf, name, None)
        if value is not None:
            details[name.rstrip("_")] = (
                dict(value) if isinstance(value, dict) else value
            )
    return details


def run_one(name, row, build, seed):
    import torch

    torch.set_num_threads(1)
    prob = problem(name)
    clf = build(prob.net, seed)
    X, y, _ = prob.train
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        clf.fit(X, y)
        seconds = time.perf_counter() - start
    messages = sorted(
        {
            f"{w.category.__name__}: {str(w.message)[:160]}"
            for w in caught
            if "skmat" in w.category.__module__ or "MAT" in w.category.__name__
        }
    )
    return {
        "problem": name,
        "row": row,
        "seed": seed,
        "seconds": seconds,
        **scores(prob, clf),
        **mat_details(prob, clf),
        "warnings": messages,
    }


# -------------------------------------------------------------------- report
DEFAULT_ROW = "MAT (defaults)"
ABLATION = [
    "MAT (before: cv=5, full budget)",
    "MAT (XRM, full budget)",
    "MAT (XRM, holdout_epochs=0.25)",
    "MAT (cv=2, holdout_epochs=0.1)",
]


def primary_metric(name):
    """The score a problem is judged by."""
    if name in SHORTCUT or name.startswith("figure1"):
        return "worst_group"
    if name == "imbalanced":
        return "balanced"
    return "accuracy"


def summarize(records):
    table = {}
    for r in records:
        table.setdefault((r["problem"], r["row"]), []).append(r)
    erm_time = {
        (r["problem"], r["seed"]): r["seconds"] for r in records if r["row"] == "ERM"
    }
    out = {}
    for key, rs in table.items():
        entry = {
            m: [r[m] for r in rs]
            for m in ("accuracy", "balanced", "worst_group")
            if m in rs[0]
        }
        entry["ratio"] = [
            r["seconds"] / erm_time[(r["problem"], r["seed"])]
            for r in rs
            if (r["problem"], r["seed"]) in erm_time
        ]
        entry["seconds"] = [r["seconds"] for r in rs]
        entry["warned"] = sum(bool(r["warnings"]) for r in rs)
        entry["fallback"] = sum(bool(r.get("fallback")) for r in rs)
        entry["n"] = len(rs)
        out[key] = entry
    return out


README_ROWS = {
    "ERM": "ERM",
    "Logit adjustment (class prior)": "logit adjustment",
    DEFAULT_ROW: "MAT defaults",
    "MAT (XRM, full budget)": "MAT, XRM full budget",
}
README_TITLES = {
    "figure1": "Figure 1 problem",
    "digits": "coloured digits, MLP",
    "images": "coloured digits images, CNN",
    "text": "keyword text",
    "digits10": "handwritten digits, 10 classes",
    "classification": "`make_classification`, 5% label noise",
    "imbalanced": "10 imbalanced classes",
    "figure1_clean": "Figure 1, nothing to memorize",
    "figure1_partial": "Figure 1, partial shortcut",
    "breast_cancer": "breast cancer (real)",
}


def readme_table(records):
    """The README's summary table (markdown lines): per problem the score it
    is judged by (:func:`primary_metric`; on the imbalanced classes with the
    accuracy in brackets) of each row of README_ROWS, mean over seeds, and the
    defaults' median fit / ERM."""
    summary = summarize(records)
    problems = list(dict.fromkeys(r["problem"] for r in records))
    lines = [
        "| problem | score | " + " | ".join(README_ROWS.values()) + " | "
        "MAT defaults fit / ERM |",
        "|---|---|" + "---|" * (len(README_ROWS) + 1),
    ]
    for name in problems:
        metric = primary_metric(name)
        label = {"worst_group": "worst group", "balanced": "balanced (accuracy)"}.get(
            metric, metric
        )
        cells = []
        for row in README_ROWS:
            entry = summary[(name, row)]
            cell = f"{np.mean(entry[metric]):.3f}"
            if name == "imbalanced":
                cell += f" ({np.mean(entry['accuracy']):.3f})"
            cells.append(cell)
        ratio = np.median(summary[(name, DEFAULT_ROW)]["ratio"])
        lines.append(
            f"| {README_TITLES.get(name, name)} | {label} | "
            + " | ".join(cells)
            + f" | {ratio:.2f} |"
        )
    return lines


def table1_best_mat(path=RESULTS / "table1.json"):
    """Per problem, the best MAT row of table1.md's protocol (b): (mean, std) of
    its worst-group test accuracy over the seeds."""
    if not path.exists():
        return {}
    best = {}
    for prob in json.loads(path.read_text())["problems"]:
        for row in prob["table"]:
            if row["method"].startswith("MAT") and row["protocol"] == "b":
                worst = np.array([seed[1] for seed in row["test"]])
                value = (float(worst.mean()), float(worst.std()), row["method"])
                if prob["name"] not in best or value[0] > best[prob["name"]][0]:
                    best[prob["name"]] = value
    return best


def _cell(values):
    values = np.asarray(values, dtype=float)
    return f"{values.mean():.3f} ± {values.std():.3f}"


def targets(summary, problems):
    """Each target of the defaults, met or missed, with its margin."""
    best = table1_best_mat()
    lines = []
    for name in problems:
        mat = summary.get((name, DEFAULT_ROW))
        erm = summary.get((name, "ERM"))
        if mat is None or erm is None:
            continue
        ratio = float(np.median(mat["ratio"]))
        if name in SHORTCUT:
            wg = float(np.mean(mat["worst_group"]))
            if name in best:
                ref, std, method = best[name]
                ok = wg >= ref - std
                full = summary.get((name, "MAT (XRM, full budget)"))
                beside = (
                    f"; XRM, full budget: {np.mean(full['worst_group']):.3f}"
                    if full
                    else ""
                )
                lines.append(
                    f"| {name} | worst-group >= best MAT of table1 (b) - 1 std "
                    f"({method}, searched: {ref:.3f} - {std:.3f}) | {wg:.3f}"
                    f"{beside} | "
                    f"{'met' if ok else 'MISSED'} ({wg - (ref - std):+.3f}) |"
                )
            limit = 1.5
        else:
            metric = "accuracy"
            value = float(np.mean(mat[metric]))
            ref = float(np.mean(erm[metric]))
            ok = value >= ref - 0.02
            lines.append(
                f"| {name} | accuracy >= ERM - 0.02 ({ref:.3f} - 0.02) | {value:.3f} | "
                f"{'met' if ok else 'MISSED'} ({value - (ref - 0.02):+.3f}) |"
            )
            la = summary.get((name, "Logit adjustment (class prior)"))
            if name == "imbalanced" and la is not None:
                value = float(np.mean(mat["balanced"]))
                ref = float(np.mean(la["balanced"]))
                ok = value >= ref - 0.02
                lines.append(
                    f"| {name} | balanced accuracy >= logit adjustment - 0.02 "
                    f"({ref:.3f} - 0.02) | {value:.3f} | "
                    f"{'met' if ok else 'MISSED'} ({value - (ref - 0.02):+.3f}) |"
                )
            limit = 2.0
        lines.append(
            f"| {name} | fit <= {limit}x one ERM fit | {ratio:.2f}x | "
            f"{'met' if ratio <= limit else 'MISSED'} ({limit - ratio:+.2f}) |"
        )
    return lines


def report(records, problems, rows, machine, minutes, command):
    summary = summarize(records)
    titles = {name: problem_title(name) for name in problems}
    fits = sum(r["seconds"] for r in records) / 60
    took = (
        f"fits {fits:.1f} min"
        if minutes is None or np.isnan(minutes)
        else f"{minutes:.1f} min, of which fits {fits:.1f} min"
    )
    out = [
        "# MAT on shortcut problems and on controls without one",
        "",
        f"Command: `{command}` ({took}). Machine: {machine}. Fits run one "
        "at a time on one torch thread; fit / ERM is the median over seeds of the "
        "ratio to the ERM fit of the same problem and seed. Written by "
        "`benchmarks/controls.py`; raw records in `controls.json`.",
        "",
        "No group label and no search anywhere: every row is the estimator as "
        "constructed below, fitted on the training split; the test split is scored "
        "(worst-group accuracy where the problem has groups, balanced accuracy on "
        "the imbalanced classes, accuracy elsewhere). 'MAT (defaults)' is "
        "`MATClassifier(net, random_state=seed)`: XRM held-out twins trained for a "
        "tenth of the net's epochs (`holdout='auto'`, `holdout_epochs=0.1`), "
        "temperature 0.1, the guard on. 'warned' counts the fits with a "
        "`MATFitWarning`, 'fallback' those the guard trained with the plain loss.",
        "",
        "![controls](controls.png)",
        "",
        "## Targets of the defaults",
        "",
        "| problem | target | measured | verdict (margin) |",
        "|---|---|---|---|",
        *targets(summary, problems),
        "",
        "## Every row",
        "",
    ]
    for name in problems:
        out += [f"### {titles[name]}", "", problem(name).note.rstrip(".") + ".", ""]
        metrics = [
            m
            for m in ("worst_group", "accuracy", "balanced")
            if (name, "ERM") in summary and m in summary[(name, "ERM")]
        ]
        if name not in SHORTCUT and not name.startswith("figure1"):
            metrics = [m for m in metrics if m != "worst_group"]
        if name != "imbalanced":
            metrics = [m for m in metrics if m != "balanced"]
        header = " | ".join(m.replace("_", "-") for m in metrics)
        out += [
            f"| row | {header} | fit / ERM | fit (s) | warned | fallback |",
            "|---" * (len(metrics) + 5) + "|",
        ]
        for row in rows:
            entry = summary.get((name, row))
            if entry is None:
                continue
            cells = " | ".join(_cell(entry[m]) for m in metrics)
            bold = "**" if row == DEFAULT_ROW else ""
            out.append(
                f"| {bold}{row}{bold} | {cells} | {np.median(entry['ratio']):.2f} | "
                f"{np.mean(entry['seconds']):.2f} | {entry['warned']}/{entry['n']} | "
                f"{entry['fallback']}/{entry['n']} |"
            )
        out.append("")
    out += guard_section(records)
    return "\n".join(out) + "\n"


def guard_section(records):
    """The guard's measures on every MAT fit: where its thresholds lie."""
    from skmat.guard import ACCURACY_DROP_MAX, LEFT_TO_LEARN_MIN, OVERPREDICTION_MAX

    out = [
        "## The guard's measures",
        "",
        f"Thresholds (`skmat.guard`): left to learn < {LEFT_TO_LEARN_MIN} -> plain "
        f"training (fallback); training accuracy more than {ACCURACY_DROP_MAX} below "
        f"the held-out accuracy -> warning; a class predicted more than "
        f"{OVERPREDICTION_MAX}x as often as it occurs -> warning. Per problem and row, "
        "the mean over seeds of: share of the labels' information the shift leaves "
        "to learn, held-out accuracy, final training accuracy (unshifted), largest "
        "over-prediction factor.",
        "",
        "| problem | row | left to learn | held-out acc | final train acc | "
        "over-prediction |",
        "|---|---|---|---|---|---|",
    ]
    grouped = {}
    for r in records:
        if "guard" in r:
            grouped.setdefault((r["problem"], r["row"]), []).append(r["guard"])

    def mean(guards, key):
        values = [g[key] for g in guards if key in g]
        return f"{np.mean(values):.3f}" if values else "-"

    keys = ("left_to_learn", "holdout_accuracy", "train_accuracy", "overprediction")
    for (name, row), guards in grouped.items():
        cells = " | ".join(mean(guards, key) for key in keys)
        out.append(f"| {name} | {row} | {cells} |")
    return out + [""]


def problem_title(name):
    return problem(name).title


def figure(records, problems, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    summary = summarize(records)
    rows = ["ERM", "Logit adjustment (class prior)", DEFAULT_ROW]
    colours = ["#999999", "#e69f00", "#0072b2"]
    fig, ax = plt.subplots(figsize=(11, 4.2))
    width = 0.27
    x = np.arange(len(problems))
    for i, (row, colour) in enumerate(zip(rows, colours)):
        means, stds = [], []
        for name in problems:
            values = summary.get((name, row), {}).get(primary_metric(name), [np.nan])
            means.append(np.mean(values))
            stds.append(np.std(values))
        ax.bar(x + (i - 1) * width, means, width, yerr=stds, label=row, color=colour)
    labels = []
    for name in problems:
        entry = summary.get((name, DEFAULT_ROW))
        ratio = f"\nMAT {np.median(entry['ratio']):.1f}x ERM" if entry else ""
        metric = {"worst_group": "worst group", "balanced": "balanced"}.get(
            primary_metric(name), "accuracy"
        )
        labels.append(f"{name}\n({metric}){ratio}")
    ax.set_xticks(x, labels, fontsize=8)
    ax.axvline(len(SHORTCUT) - 0.5, color="black", lw=0.8, ls=":")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("test score (mean ± std over seeds)")
    ax.set_title("Shortcut problems (left) and controls (right): no group labels")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.28), ncol=3, frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--problems", nargs="*", default=SHORTCUT + CONTROLS)
    parser.add_argument("--rows", nargs="*", default=list(ROWS))
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        help="an extra MAT row, NAME:key=value,key=value (exploration)",
    )
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default=None, help="also append raw records here")
    parser.add_argument(
        "--report-only",
        metavar="FILE",
        help="write the results from raw records (controls.json, or JSON lines "
        "from --out) without fitting",
    )
    args = parser.parse_args()
    rows = {row: ROWS[row] for row in args.rows}
    for spec in args.variant:
        label, params = spec.split(":", 1)
        rows[label] = _variant(params)
    problems = list(args.problems)
    seeds = range(1 if args.quick else args.seeds)
    if args.quick:
        problems = ["figure1_clean", "digits10"]
    command = "python benchmarks/controls.py" + (" --quick" if args.quick else "")
    if args.report_only:
        path = pathlib.Path(args.report_only)
        # A results file keeps the machine and time of its run; raw JSON lines
        # only have the fits' own times (the machine is this one's, now).
        machine, minutes = machine_description(), None
        if path.suffix == ".jsonl":
            records = [json.loads(line) for line in path.open()]
        else:
            saved = json.loads(path.read_text())
            records = saved["records"]
            machine, minutes = saved["machine"], saved.get("minutes")
        write(records, problems, list(rows), machine, minutes, command, args.quick)
        return
    out = pathlib.Path(args.out) if args.out else None
    records = []
    machine = machine_description()
    print(machine, flush=True)
    start = time.perf_counter()
    for name in problems:
        # One untimed fit first: the first fit of a process pays one-off costs
        # (imports, torch's kernel set-up) that no later fit does.
        run_one(name, "ERM", ROWS["ERM"], 0)
        for seed in seeds:
            for row, build in rows.items():
                record = run_one(name, row, build, seed)
                records.append(record)
                print(json.dumps(record, default=str), flush=True)
                if out:
                    with out.open("a") as f:
                        f.write(json.dumps(record, default=str) + "\n")
    minutes = (time.perf_counter() - start) / 60
    write(records, problems, list(rows), machine, minutes, command, args.quick)


def write(records, problems, rows, machine, minutes, command, quick):
    folder = RESULTS / "quick" if quick else RESULTS
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "controls.json").write_text(
        json.dumps(
            {"machine": machine, "minutes": minutes, "records": records},
            default=str,
            indent=1,
        )
    )
    (folder / "controls.md").write_text(
        report(records, problems, rows, machine, minutes, command)
    )
    figure(records, problems, folder / "controls.png")
    print(f"wrote {folder / 'controls.md'}, controls.json, controls.png")
    if not quick:  # README.md carries this table (tests/test_readme.py checks it)
        print("README table:", *readme_table(records), sep="\n")


if __name__ == "__main__":
    main()
