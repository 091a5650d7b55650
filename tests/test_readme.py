"""The README's set-up commands agree with what runs them and what they install.

The README's test command is the one ``.ci/run`` runs, word for word; the
installation page shows the same steps; the torch and torchvision versions the
commands pin are those of the extras in ``setup.cfg``, so that installing the
extras keeps the pair the first command installed.
"""

import configparser
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]
PIN = re.compile(r"\b(torch|torchvision)==([\w.]+)")


def bash_lines(text):
    """The lines of the ```bash blocks of a markdown text."""
    lines, inside = [], False
    for line in text.splitlines():
        if line.startswith("```"):
            inside = line.strip() == "```bash"
        elif inside:
            lines.append(line.strip())
    return lines


def readme_commands():
    lines = bash_lines((ROOT / "README.md").read_text(encoding="utf-8"))
    demo = [line for line in lines if "benchmarks/figure1.py" in line]
    tests = [line for line in lines if "python -m pytest" in line]
    assert len(demo) == 1 and len(tests) == 1, lines
    return demo[0], tests[0]


def extras_pins():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    extras = config["options.extras_require"]
    names = ("vision", "test", "docs")
    return {name: dict(PIN.findall(extras[name])) for name in names}


def test_ci_runs_the_readme_test_command_verbatim():
    _, tests = readme_commands()
    run = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert tests in [line.strip() for line in run]


def test_install_page_shows_the_readme_test_command():
    _, tests = readme_commands()
    page = (ROOT / "docs" / "install.rst").read_text(encoding="utf-8")
    for step in tests.split(" && "):
        assert f"   {step}\n" in page, step


def test_readme_pins_are_the_extras_pins():
    demo, tests = readme_commands()
    pins = dict(PIN.findall(tests))
    assert set(pins) == {"torch", "torchvision"}
    for name, extra in extras_pins().items():
        assert extra == pins, name
    assert dict(PIN.findall(demo)) == {"torch": pins["torch"]}


def test_readme_controls_table_is_the_committed_results():
    # The README's summary of benchmarks/results/controls.md is drawn from the
    # committed raw records by the benchmark's own function: a re-run that
    # changes a number without updating the README fails here.
    import json
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import controls
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    records = json.loads(
        (ROOT / "benchmarks" / "results" / "controls.json").read_text()
    )["records"]
    table = "\n".join(controls.readme_table(records))
    assert table in (ROOT / "README.md").read_text(encoding="utf-8"), table
