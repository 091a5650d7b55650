"""The XRM held-out phase's cost against an earlier revision, run side by side.

Usage: python benchmarks/xrm_ab.py --baseline REV [--repeats 15] [--rounds 3]
       [--shapes small tabular embedding] [--threads N] [--output FILE]
-> writes benchmarks/results/xrm_ab.md (and prints it)

``speed.py`` compares its ratios with an earlier *results file*: two runs at
different times, whose difference can be the load of the moment rather than
the code when other work shares the cores (its per-repeat ratios show that
spread). This script measures both revisions in one run instead: ``REV`` is
extracted with ``git archive`` into a temporary directory, and each round runs
the baseline, then the working tree, each in a fresh process importing its own
``skmat``. A process fits
``MATClassifier(net, holdout="xrm", random_state=0)`` and the same net plainly
(ERM) alternately, ``--repeats`` times after one untimed warm-up of each, and
reports the ratios of the two fit times. The data and network are defined here,
the same for both revisions: ``speed.py``'s shapes (float32 rows, labels from
the first five values plus noise; an MLP with ReLU, or a linear head for
``embedding``), Adam (lr 1e-3), batch size 256, every row in training.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _common import machine_description  # noqa: E402

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
OUTPUT = REPO_ROOT / "benchmarks" / "results" / "xrm_ab.md"

#: rows, features, hidden layers, epochs (as in speed.py).
SHAPES = {
    "tabular": (20_000, 100, (256,), 10),
    "embedding": (200_000, 512, (), 3),
    "small": (2_000, 20, (32,), 50),
}


class MLP(torch.nn.Module):
    """Linear layers of ``sizes`` with ReLU between them."""

    def __init__(self, sizes=(20, 32, 2)):
        super().__init__()
        layers = []
        for i in range(len(sizes) - 1):
            layers += [torch.nn.Linear(sizes[i], sizes[i + 1]), torch.nn.ReLU()]
        self.layers = torch.nn.Sequential(*layers[:-1])

    def forward(self, X):
        return self.layers(X)


def child(root, shape, repeats, threads):
    """In a fresh process: the XRM / ERM fit-time ratios of ``root``'s skmat."""
    if threads:
        torch.set_num_threads(threads)
    sys.path.insert(0, root)
    import skmat
    from skmat import MATClassifier
    from skmat.nets import MATNeuralNetClassifier

    if not pathlib.Path(skmat.__file__).resolve().is_relative_to(root):
        raise SystemExit(f"imported {skmat.__file__}, not the skmat of {root}")
    n, d, hidden, epochs = SHAPES[shape]
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, d), dtype=np.float32)
    score = X[:, :5].sum(axis=1) + rng.standard_normal(n, dtype=np.float32)
    y = (score > 0).astype(np.int64)

    def net():
        return MATNeuralNetClassifier(
            MLP,
            module__sizes=(d, *hidden, 2),
            criterion=torch.nn.CrossEntropyLoss,
            optimizer=torch.optim.Adam,
            lr=1e-3,
            batch_size=256,
            max_epochs=epochs,
            train_split=None,
            verbose=0,
            random_state=0,
        )

    def timed(fit):
        start = time.perf_counter()
        fit()
        return time.perf_counter() - start

    def xrm():
        MATClassifier(net(), holdout="xrm", random_state=0).fit(X, y)

    def erm():
        net().fit(X, y)

    xrm(), erm()
    return [timed(xrm) / timed(erm) for _ in range(repeats)]


def run_child(root, shape, repeats, threads):
    command = [sys.executable, __file__, "--child", str(root), shape, str(repeats)]
    found = subprocess.run(
        [*command, str(threads or 0)],
        capture_output=True,
        text=True,
        check=False,
    )
    if found.returncode != 0:
        raise SystemExit(f"{root} {shape}: {found.stderr.strip()[-2000:]}")
    return json.loads(found.stdout.strip().splitlines()[-1])


def render(command, baseline, shapes, results, repeats, seconds, threads):
    torch_threads = (
        "default torch threads"
        if not threads
        else (f"{threads} torch thread{'' if threads == 1 else 's'}")
    )
    lines = [
        "# XRM / ERM fit time: an earlier revision and this one, side by side "
        f"(CPU, {torch_threads})",
        "",
        f"Command: `{command}`.",
        "",
        f"Machine: {machine_description()}.",
        "",
        f"Whole run {seconds / 60:.1f} min. Each round runs `{baseline}` then the "
        "working tree, each in a fresh process; a process times "
        f"`MATClassifier(holdout='xrm')` and ERM alternately, {repeats} times "
        "(see the script's docstring). Ratio = XRM fit / ERM fit (wall-clock).",
        "",
        "| shape | revision | median ratio | 25th - 75th percentile | median of "
        "each round |",
        "|---|---|---|---|---|",
    ]
    for shape in shapes:
        for name in (baseline, "working tree"):
            per_round = results[shape][name]
            every = np.concatenate(per_round)
            low, high = np.percentile(every, [25, 75])
            rounds_text = ", ".join(f"{np.median(r):.2f}" for r in per_round)
            lines.append(
                f"| {shape} | {name} | {np.median(every):.2f} | {low:.2f} - "
                f"{high:.2f} | {rounds_text} |"
            )
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", help="a git revision (required)")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--shapes", nargs="+", choices=sorted(SHAPES))
    parser.add_argument("--output", default=str(OUTPUT))
    parser.add_argument(
        "--threads", type=int, help="torch.set_num_threads (default: torch's)"
    )
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        root, shape, repeats, threads = args.child
        print(json.dumps(child(root, shape, int(repeats), int(threads))))
        return
    if not args.baseline:
        parser.error("--baseline is required")
    if args.threads:
        torch.set_num_threads(args.threads)  # the children's, as described
    shapes = args.shapes or ["small", "tabular", "embedding"]
    start = time.perf_counter()
    results = {shape: {args.baseline: [], "working tree": []} for shape in shapes}
    with tempfile.TemporaryDirectory() as old:
        archive = subprocess.run(
            ["git", "archive", args.baseline],
            cwd=REPO_ROOT,
            capture_output=True,
            check=False,
        )
        if archive.returncode != 0:
            raise SystemExit(f"--baseline {args.baseline!r}: {archive.stderr!r}")
        subprocess.run(["tar", "-x", "-C", old], input=archive.stdout, check=True)
        roots = {args.baseline: old, "working tree": str(REPO_ROOT)}
        for shape in shapes:
            for i in range(args.rounds):
                for name, root in roots.items():
                    ratios = run_child(root, shape, args.repeats, args.threads)
                    results[shape][name].append(ratios)
                    print(
                        f"  [{shape} round {i + 1}] {name}: median "
                        f"{np.median(ratios):.2f}",
                        flush=True,
                    )
    given = sys.argv[1:] if argv is None else argv
    command = " ".join(["python benchmarks/xrm_ab.py", *given])
    seconds = time.perf_counter() - start
    text = render(
        command, args.baseline, shapes, results, args.repeats, seconds, args.threads
    )
    pathlib.Path(args.output).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
