"""The layers table of docs/architecture.rst, drawn from import-linter's contract.

The contract in ``setup.cfg`` (``[importlinter:contract:layers]``) is what CI
enforces (``lint-imports``); this writes the same layers as an rst table, so the
page cannot drift from what is enforced.
"""

from __future__ import annotations

import configparser
import pathlib


def layers(setup_cfg):
    """The layers of the contract, top first, each a list of module names."""
    config = configparser.ConfigParser()
    config.read(setup_cfg)
    lines = config["importlinter:contract:layers"]["layers"].strip().splitlines()
    return [[name.strip() for name in line.split("|")] for line in lines]


def _module_role(name):
    # A link where the module has an API page, a literal for private modules.
    api_page = pathlib.Path(__file__).parent / "api" / f"skmat.{name}.rst"
    return f":mod:`skmat.{name}`" if api_page.exists() else f"``skmat.{name}``"


def write_layers(setup_cfg, target):
    """Write the layers as an rst list table to ``target`` (only if it changed)."""
    rows = [
        ".. list-table::",
        "   :header-rows: 1",
        "   :widths: 10 90",
        "",
        "   * - layer",
        "     - modules (independent of each other within a layer)",
    ]
    stack = layers(setup_cfg)
    for depth, names in enumerate(stack):
        rows.append(f"   * - {len(stack) - depth}")
        rows.append("     - " + ", ".join(_module_role(n) for n in names))
    text = "\n".join(rows) + "\n"
    target = pathlib.Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists() or target.read_text() != text:
        target.write_text(text)
