"""The folders are the architecture: the import graph keeps data flowing one way."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("common", "runfolder", "api", "stack", "loadtests", "slo", "drift", "answers", "slobench", "benchmarks")


# Sub-packages that stand on a floor of their own: Locust's web UI plugins run inside the Locust process with the
# rest of loadtests/, and judge the current stage live with the evaluator, which generation never reads.
OWN_FLOOR = {"loadtests": ("webui",)}


def imports_of(package: str) -> dict[str, set[str]]:
    """Every project package each module of `package` imports, function-level imports included; `package` may be
    a sub-package ("loadtests/webui"), and a package leaves out its sub-packages on a floor of their own."""
    out = {}
    top = package.split("/")[0]
    apart = [ROOT / package / sub for sub in OWN_FLOOR.get(package, ())]
    for path in sorted((ROOT / package).rglob("*.py")):
        if any(d in path.parents for d in apart):
            continue
        found = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
            found |= {n.split(".")[0] for n in names if n.split(".")[0] in PACKAGES}
        out[str(path.relative_to(ROOT))] = found - {top}
    return out


@pytest.mark.parametrize("package, allowed", [
    ("common", set()),
    ("runfolder", set()),
    ("api", {"common"}),
    ("loadtests", {"common", "runfolder", "api"}),
    ("loadtests/webui", {"common", "runfolder", "api", "slo"}),
    ("slo", {"common", "runfolder"}),
    ("drift", {"common", "runfolder", "api"}),
    ("answers", {"common", "api", "slo"}),
    ("stack", {"common", "runfolder"}),
], ids=["the ground floor imports no project package", "the run folder's names import nothing",
        "the API imports nothing from the harness",
        "load generation does not import the evaluator",
        "the web UI's plugins read the evaluator to judge live, never the harness",
        "the evaluator does not import load generation",
        "drift imports neither the harness nor the evaluator",
        "the answers check imports neither the harness nor load generation (the evaluator's statistics only)",
        "the stack imports neither the evaluator nor the CLI"])
def test_each_package_imports_only_what_lies_below_it(package, allowed):
    wrong = {module: sorted(found - allowed) for module, found in imports_of(package).items() if found - allowed}
    assert wrong == {}, f"{package} may import only {sorted(allowed) or 'no project package'}: {wrong}"


def test_load_generation_runs_without_the_web_uis_plugins():
    """Locust loads the plugins by name when the UI asks (SLOBENCH_LOCUST_PLUGINS); nothing else in loadtests/
    imports them, so a headless run never reads the evaluator."""
    wrong = []
    for path in sorted((ROOT / "loadtests").rglob("*.py")):
        if ROOT / "loadtests" / "webui" in path.parents:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            wrong += [str(path.relative_to(ROOT)) for n in names if n.startswith("loadtests.webui")]
    assert wrong == []


def test_nothing_below_the_cli_imports_it():
    below = [p for p in PACKAGES if p not in ("slobench", "benchmarks")]
    wrong = {m: "slobench" for p in below for m, found in imports_of(p).items() if "slobench" in found}
    assert wrong == {}


# slo/ in the order its data flows: each floor imports only the floors below it.
SLO_FLOORS = ("file", "prometheus", "stats", "verdicts", "reports")


def slo_floors_of(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
            [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
        if isinstance(node, ast.ImportFrom) and node.module == "slo":
            names = [f"slo.{a.name}" for a in node.names]
        found |= {n.split(".")[1] for n in names if n.startswith("slo.") and n.split(".")[1] in SLO_FLOORS}
    return found


@pytest.mark.parametrize("floor", SLO_FLOORS)
def test_each_slo_floor_imports_only_the_floors_below_it(floor):
    below = set(SLO_FLOORS[:SLO_FLOORS.index(floor)])
    wrong = {str(p.relative_to(ROOT)): sorted(slo_floors_of(p) - below - {floor})
             for p in sorted((ROOT / "slo" / floor).rglob("*.py")) if slo_floors_of(p) - below - {floor}}
    assert wrong == {}, f"slo/{floor} may import only {sorted(below) or 'no other floor'}: {wrong}"


def test_slo_holds_only_its_floors_and_its_command():
    modules = sorted(p.name for p in (ROOT / "slo").glob("*.py"))
    assert modules == ["__init__.py", "__main__.py"]
    assert sorted(p.name for p in (ROOT / "slo").iterdir() if p.is_dir() and (p / "__init__.py").is_file()) == \
        sorted(SLO_FLOORS)


def test_the_generator_keeps_no_mutable_state_at_module_level():
    """locustfile.py: user classes, the shape and listeners; each process's run lives on Locust's Environment."""
    tree = ast.parse((ROOT / "loadtests" / "locustfile.py").read_text())
    assigned = [t.id for node in tree.body if isinstance(node, (ast.Assign, ast.AnnAssign))
                for t in (node.targets if isinstance(node, ast.Assign) else [node.target]) if isinstance(t, ast.Name)]
    assert assigned == ["SETTINGS"]   # frozen settings, read once
    assert not any(isinstance(node, ast.Global) for node in ast.walk(tree))
    assert len((ROOT / "loadtests" / "locustfile.py").read_text().splitlines()) < 200


def test_the_run_folders_file_names_are_spelled_only_in_runfolder():
    """Every file a run folder holds is named once (runfolder/names.py); no other module spells one (its folders
    and prefixes, plain words like "refine", are left out: the same words name other things)."""
    from runfolder import names
    spelled = {v for k, v in vars(names).items() if k.isupper() and isinstance(v, str) and "." in v}
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(), str(path))
            docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                          if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                          and n.body and isinstance(n.body[0], ast.Expr)}
            literals = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
                        and id(n) not in docstrings}
            if literals & spelled and path != ROOT / "runfolder" / "names.py":
                found[str(path.relative_to(ROOT))] = sorted(literals & spelled)
    assert found == {}
