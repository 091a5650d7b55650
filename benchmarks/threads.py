"""One fit with torch's default threads and with one, with the cores free or busy.

Usage: python benchmarks/threads.py [--repeats 3] [--problems figure1 tabular]
       [--timeout 30] [--output FILE]
-> writes benchmarks/results/threads.md (and prints it)

By default torch runs each operation on one thread per core
(``torch.get_num_threads()``). The threads split the operation and wait for
each other at its end, so when other work takes a core from one of them, the
others wait too. This script times one ERM fit (skmat's ``ERMClassifier``)
with ``torch.set_num_threads(n)`` for ``n`` = 1 and torch's default, in two
situations:

- *as found*: nothing added by the script; whatever else the machine runs goes
  on (its load average is recorded);
- *busy*: one process per core that only spins (pure Python) starts a second
  before the fit and is stopped after it; it stands for other programs, other
  fits or parallel workers using every core.

Each measurement is one fit in a fresh process (``--child``), after the thread
setting and one untimed short warm-up fit; the conditions of a repeat run back
to back, in an order rotated between repeats. A fit still running after
``--timeout`` seconds is stopped and reported as longer than that (which bounds
the run's time). Reported: the median wall-clock time and process CPU time
over the repeats, and each condition's median time relative to one thread as
found (unset ``OMP_NUM_THREADS`` first: the script sets the threads itself).

Problems: ``figure1``, the quick start's fit (the paper's Figure 1 problem,
1000 x 1800, a bias-free linear layer, full-batch SGD, 1000 epochs);
``tabular``, a 20,000 x 100 float32 table and an MLP 100-256-2 (Adam, batch 256,
10 epochs), ``speed.py``'s tabular shape.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
OUTPUT = REPO_ROOT / "benchmarks" / "results" / "threads.md"
PROBLEMS = {
    "figure1": "Figure 1 problem, 1000 x 1800, bias-free linear layer, "
    "full-batch SGD, 1000 epochs",
    "tabular": "20,000 x 100 float32, MLP 100-256-2, Adam, batch 256, 10 epochs",
}
SPIN = "while True:\n    pass\n"


def make_fit(problem, warm_up=False):
    """(X, y, an unfitted ERMClassifier) of a problem."""
    import numpy as np
    import torch
    from skorch import NeuralNetClassifier

    from _common import paper_linear_net
    from skmat import ERMClassifier
    from skmat.datasets import make_spurious_splits
    from skmat.mlp import MLPModule

    if problem == "figure1":
        data = make_spurious_splits(1000, 1800, random_state=0)
        X, y, _ = data.train
        net = paper_linear_net(max_epochs=20 if warm_up else 1000)
    else:
        rng = np.random.default_rng(0)
        X = rng.standard_normal((20_000, 100), dtype=np.float32)
        score = X[:, :5].sum(axis=1) + rng.standard_normal(20_000, dtype=np.float32)
        y = (score > 0).astype(np.int64)
        net = NeuralNetClassifier(
            MLPModule,
            module__n_features=100,
            module__n_classes=2,
            module__hidden_layer_sizes=(256,),
            criterion=torch.nn.CrossEntropyLoss,
            optimizer=torch.optim.Adam,
            lr=1e-3,
            batch_size=256,
            max_epochs=1 if warm_up else 10,
            train_split=None,
            verbose=0,
        )
    return X, y, ERMClassifier(net, random_state=0)


def child(problem, threads):
    """One timed fit in this process, after the warm-up and the parent's go
    (a line on stdin); prints its wall and CPU seconds as JSON."""
    import torch

    if threads:
        torch.set_num_threads(threads)
    X, y, clf = make_fit(problem, warm_up=True)
    clf.fit(X, y)
    X, y, clf = make_fit(problem)
    print("ready", flush=True)
    sys.stdin.readline()
    wall, cpu = time.perf_counter(), time.process_time()
    clf.fit(X, y)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(json.dumps(dict(wall=wall, cpu=cpu, threads=torch.get_num_threads())))


def measure(problem, threads, busy, timeout):
    """One fit in a fresh process; with ``busy``, one spinning process per core
    runs from a second before the fit (after the warm-up) to its end."""
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", problem, str(threads)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    spinners = []
    try:
        if proc.stdout.readline().strip() != "ready":
            raise SystemExit(f"the fit's process failed ({problem}, {threads})")
        if busy:
            spin = [sys.executable, "-c", SPIN]
            spinners = [subprocess.Popen(spin) for _ in range(os.cpu_count())]
            time.sleep(1.0)
        load = os.getloadavg()[0]
        try:
            out, _ = proc.communicate("go\n", timeout=timeout)
        except subprocess.TimeoutExpired:
            out = None
    finally:
        for other in [*spinners, proc]:
            if other.poll() is None:
                other.kill()
            other.wait()
    if out is None:  # stopped at the time limit: the fit took longer
        return dict(
            wall=float(timeout),
            cpu=float("nan"),
            threads=threads or torch_default_threads(),
            load=load,
            stopped=True,
        )
    result = json.loads(out.strip().splitlines()[-1])
    result.update(load=load, stopped=False)
    return result


def torch_default_threads():
    import torch

    return torch.get_num_threads()


def machine():
    import platform

    import sklearn
    import skorch
    import torch

    return (
        f"{time.strftime('%Y-%m-%d')}, {platform.machine()}, {os.cpu_count()} CPU "
        f"cores, Python {platform.python_version()}, torch {torch.__version__} "
        f"(default threads {torch.get_num_threads()}), scikit-learn "
        f"{sklearn.__version__}, skorch {skorch.__version__}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--problems", nargs="+", default=list(PROBLEMS), choices=list(PROBLEMS)
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        help="seconds after which a fit's process is stopped (the fit took longer)",
    )
    parser.add_argument("--output", type=pathlib.Path, default=OUTPUT)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]))
        return
    if os.environ.get("OMP_NUM_THREADS"):
        # The default must be torch's own: a child would inherit the variable.
        raise SystemExit("unset OMP_NUM_THREADS: this script sets the threads itself")
    default = os.cpu_count()
    conditions = [(t, busy) for busy in (False, True) for t in (1, 0)]
    load_start = os.getloadavg()[0]
    start = time.perf_counter()
    results = {}
    for problem in args.problems:
        for repeat in range(args.repeats):
            shift = repeat % len(conditions)
            for threads, busy in conditions[shift:] + conditions[:shift]:
                r = measure(problem, threads, busy, args.timeout)
                results.setdefault((problem, threads, busy), []).append(r)
                print(
                    f"{problem} threads={r['threads']} "
                    f"{'busy' if busy else 'as found'}: "
                    f"{r['wall']:.2f} s wall, {r['cpu']:.2f} s CPU, "
                    f"load {r['load']:.1f}",
                    flush=True,
                )
    minutes = (time.perf_counter() - start) / 60
    lines = [
        "# One fit with torch's default threads and with one, with the cores "
        "free or busy",
        "",
        f"Command: `python benchmarks/threads.py --repeats {args.repeats} --problems "
        f"{' '.join(args.problems)}`; whole run {minutes:.1f} min; load average "
        f"(1 min) {load_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end.",
        "",
        f"Machine: {machine()}.",
        "",
        "One `ERMClassifier` fit per measurement, in a fresh process, after "
        "`torch.set_num_threads` and an untimed warm-up (see the script's "
        "docstring). 'as found': nothing added by the script, the machine's other "
        "work going on (its load average, median over the repeats, in the "
        "'load' column); 'busy': one spinning process per core "
        f"({default}) added during the fit, standing for other work using every "
        f"core. Medians over {args.repeats} repeats; '>' marks a fit stopped at "
        f"the time limit ({args.timeout:.0f} s), which took longer. 'x' is the "
        "median wall-clock time over that of one thread as found. CPU is the fit "
        "process's own CPU time (all its threads).",
        "",
    ]
    for problem in args.problems:
        base = statistics.median_high(r["wall"] for r in results[(problem, 1, False)])
        lines += [
            f"## {problem}: {PROBLEMS[problem]}",
            "",
            "| torch threads | cores | load | wall s | CPU s | x "
            "| each repeat's wall s |",
            "|---|---|---|---|---|---|---|",
        ]
        for threads, busy in conditions:
            runs = sorted(results[(problem, threads, busy)], key=lambda r: r["wall"])
            mid = runs[len(runs) // 2]
            more = ">" if mid["stopped"] else ""
            finished = [r["cpu"] for r in runs if not r["stopped"]]
            cpu = f"{statistics.median(finished):.2f}" if finished else "-"
            load = statistics.median(r["load"] for r in runs)
            label = "1" if threads == 1 else f"default ({mid['threads']})"
            each = ", ".join(
                f"{'>' if r['stopped'] else ''}{r['wall']:.2f}"
                for r in results[(problem, threads, busy)]
            )
            lines.append(
                f"| {label} | {'busy' if busy else 'as found'} | {load:.1f} "
                f"| {more}{mid['wall']:.2f} | {cpu} | {more}{mid['wall'] / base:.1f} "
                f"| {each} |"
            )
        lines.append("")
    text = "\n".join(lines)
    args.output.write_text(text + "\n")
    print(text)
    print(f"written: {args.output}")


if __name__ == "__main__":
    main()
