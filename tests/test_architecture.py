"""The layout rules that import-linter cannot check: no private name crosses modules."""

import ast
from pathlib import Path

import skmat

PACKAGE = Path(skmat.__file__).parent


def _private_imports(path):
    """``(line, module, name)`` of each private name ``path`` imports from skmat."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level == 0 and not (node.module or "").startswith("skmat"):
            continue
        if node.module is None:  # ``from . import _module``: a module, not a name
            continue
        for alias in node.names:
            name = alias.name
            if name.startswith("_") and not name.startswith("__"):
                found.append((node.lineno, node.module, name))
    return found


def test_no_private_name_is_imported_across_modules():
    offenders = {
        str(path.relative_to(PACKAGE)): _private_imports(path)
        for path in sorted(PACKAGE.rglob("*.py"))
    }
    offenders = {path: found for path, found in offenders.items() if found}
    assert offenders == {}


def test_the_check_sees_a_private_import(tmp_path):
    module = tmp_path / "mod.py"
    module.write_text(
        "from ._inputs import _kind\nfrom .nets import SHIFT_PARAM\nfrom . import _x\n"
    )
    assert _private_imports(module) == [(1, "_inputs", "_kind")]
