"""The folders are the architecture: the import graph keeps data flowing one way."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("common", "api", "stack", "loadtests", "slo", "drift", "slobench", "benchmarks")


def imports_of(package: str) -> dict[str, set[str]]:
    """Every project package each module of `package` imports, function-level imports included."""
    out = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        found = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
            found |= {n.split(".")[0] for n in names if n.split(".")[0] in PACKAGES}
        out[str(path.relative_to(ROOT))] = found - {package}
    return out


@pytest.mark.parametrize("package, allowed", [
    ("common", set()),
    ("api", {"common"}),
    ("loadtests", {"common", "api"}),
    ("slo", {"common"}),
    ("drift", {"common", "api"}),
    ("stack", {"common", "slo"}),
], ids=["the ground floor imports no project package", "the API imports nothing from the harness",
        "load generation does not import the evaluator", "the evaluator does not import load generation",
        "drift imports neither the harness nor the evaluator", "the stack does not import the CLI"])
def test_each_package_imports_only_what_lies_below_it(package, allowed):
    wrong = {module: sorted(found - allowed) for module, found in imports_of(package).items() if found - allowed}
    assert wrong == {}, f"{package} may import only {sorted(allowed) or 'no project package'}: {wrong}"


def test_nothing_below_the_cli_imports_it():
    below = [p for p in PACKAGES if p not in ("slobench", "benchmarks")]
    wrong = {m: "slobench" for p in below for m, found in imports_of(p).items() if "slobench" in found}
    assert wrong == {}
