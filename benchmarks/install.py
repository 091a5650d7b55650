"""What the README's test set-up costs (time, wheels, disk) and whether it imports.

Usage: python benchmarks/install.py [--rev HEAD] [--baseline REV] [--pytest ARGS]
       [--output FILE]
-> writes benchmarks/results/install.md (and prints it)

For each revision (``--rev``, and ``--baseline`` when given, run first), the
script extracts the revision with ``git archive`` into a temporary directory,
makes a fresh virtual environment with the Python that runs the script, and
runs there, in that directory, the install part of the README's test command,
word for word (the ``python -m pip install ...`` steps before
``python -m pytest``, read from that revision's README). It records:

- the wall-clock time of the install;
- the wheels pip installed, from pip's own output: how many and their total
  size, and how many of them it downloaded from the index (the rest were
  already local: pip's cache or a folder of wheels that pip is set up to read);
  on a machine with an empty cache and no such folder, every wheel is a
  download;
- the size of the environment on disk, and the largest packages in it;
- the torch and torchvision versions and builds, and whether
  ``import torchvision`` and ``from torchvision.models import resnet18`` work
  in a fresh process (what the gallery's frozen-features example needs);
- with ``--pytest "ARGS"``, the wall-clock time of ``python -m pytest ARGS`` in
  that environment (from that revision's directory), for the cost of a test run
  with that torch.

The time depends on the network and on what pip finds locally; the sizes do
not. The environments are removed at the end.
"""

from __future__ import annotations

import argparse
import datetime
import os
import pathlib
import platform
import re
import shlex
import subprocess
import sys
import tempfile
import time

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
OUTPUT = REPO_ROOT / "benchmarks" / "results" / "install.md"
CHECK = (
    "import torch, torchvision\n"
    "from torchvision.models import resnet18\n"
    "print(torch.__version__, torchvision.__version__)"
)
SIZE = re.compile(r"\(([\d.]+) (kB|MB|GB|bytes)\)")
UNITS = {"bytes": 1e-6, "kB": 1e-3, "MB": 1.0, "GB": 1e3}


def readme_test_command(readme):
    """The README's test command: the line of a ```bash block that runs pytest."""
    in_block = False
    for line in readme.splitlines():
        if line.startswith("```"):
            in_block = line.strip() == "```bash"
            continue
        if in_block and "python -m pytest" in line:
            return line.strip()
    raise SystemExit("README has no ```bash line with 'python -m pytest'")


def install_part(command):
    """The steps of the command before its pytest step, joined as written."""
    steps = command.split(" && ")
    install = [s for s in steps if s.startswith("python -m pip install")]
    if not install or steps[: len(install)] != install:
        raise SystemExit(f"the test command starts with no pip install: {command}")
    return " && ".join(install)


def wheels_of(pip_output):
    """(wheels, MB, downloaded wheels, downloaded MB) from pip's output."""
    wheels = downloaded = 0
    megabytes = downloaded_mb = 0.0
    for line in pip_output.splitlines():
        line = line.strip()
        if line.startswith("Processing /") and ".whl" in line:
            path = line.split()[1]
            wheels += 1
            megabytes += os.path.getsize(path) / 1e6
        elif line.startswith(("Downloading ", "Using cached ")) and ".whl" in line:
            match = SIZE.search(line)
            size = float(match.group(1)) * UNITS[match.group(2)] if match else 0.0
            wheels += 1
            megabytes += size
            if line.startswith("Downloading "):
                downloaded += 1
                downloaded_mb += size
    return wheels, megabytes, downloaded, downloaded_mb


def disk_mb(path):
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            full = os.path.join(root, name)
            if not os.path.islink(full):
                total += os.path.getsize(full)
    return total / 1e6


def largest_packages(venv, count=4):
    """The largest top-level entries of site-packages, grouping nvidia*/cuda*."""
    site = next(venv.glob("lib/python*/site-packages"))
    sizes = {}
    for entry in site.iterdir():
        if entry.name.endswith((".dist-info", ".egg-info", ".pth")):
            continue
        name = entry.name
        if name.startswith(("nvidia", "cuda")):
            name = "nvidia* / cuda* (CUDA libraries)"
        size = disk_mb(entry) if entry.is_dir() else entry.stat().st_size / 1e6
        sizes[name] = sizes.get(name, 0.0) + size
    top = sorted(sizes.items(), key=lambda item: -item[1])[:count]
    return ", ".join(f"{name} {size / 1e3:.2f} GB" for name, size in top)


def run_revision(rev, workdir, pytest_args):
    source = workdir / f"src-{rev}"
    venv = workdir / f"venv-{rev}"
    source.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "archive", rev], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(source)], input=archive, check=True)
    sha = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "rev-parse", "--short", rev],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = dict(os.environ, VIRTUAL_ENV=str(venv))
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
    env.pop("PYTHONPATH", None)
    command = install_part(readme_test_command((source / "README.md").read_text()))
    print(f"[{sha}] {command}", flush=True)
    start = time.perf_counter()
    result = subprocess.run(
        ["bash", "-c", command],
        cwd=source,
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        print(result.stdout[-3000:], result.stderr[-3000:], sep="\n")
        raise SystemExit(f"[{sha}] the install failed")
    wheels, megabytes, downloaded, downloaded_mb = wheels_of(result.stdout)
    check = subprocess.run(
        [str(venv / "bin" / "python"), "-c", CHECK],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
    )
    if check.returncode == 0:
        torch_version, vision_version = check.stdout.split()
        imports = "yes"
    else:
        versions = subprocess.run(
            [str(venv / "bin" / "python"), "-m", "pip", "list", "--format=freeze"],
            env=env,
            capture_output=True,
            text=True,
        ).stdout
        found = dict(ln.split("==", 1) for ln in versions.splitlines() if "==" in ln)
        torch_version = found.get("torch", "?")
        vision_version = found.get("torchvision", "?")
        imports = "no: " + check.stderr.strip().splitlines()[-1]
    row = dict(
        rev=sha,
        command=command,
        torch=torch_version,
        torchvision=vision_version,
        imports=imports,
        seconds=seconds,
        wheels=wheels,
        megabytes=megabytes,
        downloaded=downloaded,
        downloaded_mb=downloaded_mb,
        disk_gb=disk_mb(venv) / 1e3,
        largest=largest_packages(venv),
        pytest=None,
    )
    if pytest_args is not None:
        start = time.perf_counter()
        tests = subprocess.run(
            ["python", "-m", "pytest", *shlex.split(pytest_args)],
            cwd=source,
            env=env,
            capture_output=True,
            text=True,
        )
        lines = tests.stdout.strip().splitlines()
        row["pytest"] = (time.perf_counter() - start, lines[-1] if lines else "")
    print(f"[{sha}] {row}", flush=True)
    return row


def machine():
    """The machine and the Python the environments are made with (no torch here:
    each environment's own torch is in its table)."""
    threads = os.environ.get("OMP_NUM_THREADS")
    return (
        f"{datetime.date.today().isoformat()}, "
        f"{platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPU cores; Python {platform.python_version()}"
        + (f"; OMP_NUM_THREADS={threads}" if threads else "")
    )


def report(rows, args, minutes, load_before, load_after):
    command = f"python benchmarks/install.py --rev {args.rev}"
    if args.baseline:
        command += f" --baseline {args.baseline}"
    if args.pytest is not None:
        command += f' --pytest "{args.pytest}"'
    lines = [
        "# The README's test set-up: install cost and whether torchvision imports",
        "",
        f"Command: `{command}`; whole run {minutes:.1f} min; load average (1 min) "
        f"{load_before:.1f} at the start, {load_after:.1f} at the end.",
        "",
        f"Machine: {machine()}.",
        "",
        "Each revision's README test command, its install steps word for word, "
        "in a fresh virtual environment (see the script's docstring). 'Wheels' "
        "are those pip installed, with their size as files; 'downloaded' are "
        "those it fetched from the index, the others being already local (pip's "
        "cache, or a folder of wheels pip reads): on a machine with an empty "
        "cache every wheel is a download, and the install time grows with it. "
        "'Imports' runs `import torchvision` and `from torchvision.models import "
        "resnet18` in a fresh process.",
        "",
    ]
    for row in rows:
        lines += [
            f"## {row['rev']}: `{row['command']}`",
            "",
            "| what | value |",
            "|---|---|",
            f"| torch / torchvision | {row['torch']} / {row['torchvision']} |",
            f"| torchvision imports | {row['imports']} |",
            f"| install wall-clock | {row['seconds'] / 60:.1f} min |",
            f"| wheels installed | {row['wheels']}, {row['megabytes'] / 1e3:.2f} GB |",
            f"| of which downloaded | {row['downloaded']}, "
            f"{row['downloaded_mb'] / 1e3:.2f} GB |",
            f"| environment on disk | {row['disk_gb']:.1f} GB |",
            f"| largest packages | {row['largest']} |",
        ]
        if row["pytest"] is not None:
            seconds, summary = row["pytest"]
            lines.append(
                f"| `python -m pytest {args.pytest}` | "
                f"{seconds / 60:.1f} min; {summary} |"
            )
        lines.append("")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rev", default="HEAD", help="revision to measure (HEAD)")
    parser.add_argument("--baseline", help="an earlier revision, run first")
    parser.add_argument(
        "--pytest", help='also time "python -m pytest ARGS" in each set-up'
    )
    parser.add_argument("--output", type=pathlib.Path, default=OUTPUT)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="skmat-install-") as tmp:
        rows = [
            run_revision(rev, pathlib.Path(tmp), args.pytest)
            for rev in ([args.baseline] if args.baseline else []) + [args.rev]
        ]
    text = report(
        rows, args, (time.perf_counter() - start) / 60, load_before, os.getloadavg()[0]
    )
    args.output.write_text(text.rstrip() + "\n")
    print(text)
    print(f"written: {args.output}")


if __name__ == "__main__":
    main()
