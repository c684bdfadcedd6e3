"""The package's layers (README, "Architecture"): a module imports only from its own layer or the ones below it,
including imports inside functions. A backward import is how a library grows cycles and god modules."""

from __future__ import annotations

import ast
from pathlib import Path

import rxalign

# Bottom to top; a module belongs to the first group one of whose names is it or a package above it.
LAYERS = [
    ("rxalign.errors", "rxalign.ui", "rxalign.io"),
    ("rxalign.config", "rxalign.losses"),
    ("rxalign.data",),
    ("rxalign.models",),
    ("rxalign.train", "rxalign.rundir"),
    ("rxalign.eval",),
    ("rxalign.stages",),
    ("rxalign.report",),
    ("rxalign.active", "rxalign.pipeline"),
    ("rxalign.cli", "rxalign.dpo_cli", "rxalign.active_cli", "rxalign.probe_cli"),
]
SRC = Path(rxalign.__file__).parent


def layer(module: str) -> int | None:
    for i, group in enumerate(LAYERS):
        if any(module == name or module.startswith(name + ".") for name in group):
            return i
    return None


def modules() -> dict[str, Path]:
    return {
        ".".join(("rxalign", *path.relative_to(SRC).with_suffix("").parts)).removesuffix(".__init__"): path
        for path in SRC.rglob("*.py")
    }


def imports(path: Path) -> list[tuple[str, int]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("rxalign"):
            found.append((node.module, node.lineno))
        elif isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names if a.name.startswith("rxalign")]
    return found


def test_every_module_has_a_layer():
    assert [m for m in modules() if m != "rxalign" and layer(m) is None] == []


def test_no_module_imports_from_a_layer_above_its_own():
    backward = [
        f"{module}:{line} imports {target}"
        for module, path in modules().items()
        if module != "rxalign"
        for target, line in imports(path)
        if layer(target) is not None and layer(target) > layer(module)
    ]
    assert backward == []


def test_the_check_sees_a_backward_import(tmp_path):
    path = tmp_path / "x.py"
    path.write_text("def f():\n    from rxalign.cli import main\n", encoding="utf-8")
    assert imports(path) == [("rxalign.cli", 2)] and layer("rxalign.cli") > layer("rxalign.data.qa")
