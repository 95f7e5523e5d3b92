"""The docs stay honest: every link lands on a page (and heading) that exists, every `make` target and
`slobench` flag they name exists, and every example file they cite exists and parses."""
import re
from pathlib import Path

import pytest
import yaml

from loadtests.profile import load_profile
from slo.file.load import load_slo
from slobench.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
PAGE_IDS = [str(p.relative_to(ROOT)) for p in PAGES]


def _code(page: Path) -> list[str]:
    """The text of every fenced block and inline code span: where commands are written."""
    text = page.read_text()
    blocks = re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.S)
    spans = re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", text, flags=re.S))
    return blocks + spans


def _slug(heading: str) -> str:
    """GitHub's anchor of a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    return {_slug(h) for h in re.findall(r"^#+ (.+)$", text, flags=re.M)}


def test_the_readme_is_a_front_page():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 200


@pytest.mark.parametrize("page", PAGES, ids=PAGE_IDS)
def test_every_link_lands_on_a_page_and_heading_that_exist(page):
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        assert dest.exists(), f"{page.name}: link to {target}: no such file"
        if anchor and dest.suffix == ".md":
            assert anchor in _anchors(dest), f"{page.name}: link to {target}: no such heading in {dest.name}"


def _make_targets() -> set[str]:
    return set(re.findall(r"^([a-zA-Z][\w-]*):", (ROOT / "Makefile").read_text(), flags=re.M))


@pytest.mark.parametrize("page", PAGES, ids=PAGE_IDS)
def test_every_make_target_named_exists(page):
    named = {t for code in _code(page) for t in re.findall(r"\bmake ([a-z][\w-]*)", code)}
    named |= {t for code in _code(page) for t in re.findall(r"^([a-z][\w-]*)$", code) if f"make {t}" in code}
    assert named - _make_targets() == set(), f"{page.name} names make targets the Makefile lacks"


def _cli_flags() -> dict[str, set[str]]:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")  # argparse keeps subcommands here
    return {name: {o for a in p._actions for o in a.option_strings} for name, p in sub.choices.items()}


@pytest.mark.parametrize("page", PAGES, ids=PAGE_IDS)
def test_every_slobench_flag_named_exists(page):
    flags = _cli_flags()
    for code in _code(page):
        for command, rest in re.findall(r"\bslobench ([a-z]+)\b([^\n|;&]*)", code):
            if command not in flags:
                continue  # prose such as "slobench runs", not a command line
            for flag in re.findall(r"(--[a-z][\w-]*)", rest):
                assert flag in flags[command], f"{page.name}: `slobench {command} {flag}`: no such flag"
    for flag in {f for code in _code(page) for f in re.findall(r"^(--[a-z][\w-]*)$", code)}:
        assert any(flag in f for f in flags.values()), f"{page.name}: `{flag}` is no slobench flag"


CITED = sorted({m for p in PAGES for m in re.findall(r"\b((?:slo|loadtests|tests|stack)/[\w./-]+\.ya?ml)\b",
                                                           p.read_text())})


@pytest.mark.parametrize("path", CITED)
def test_every_example_file_cited_exists_and_parses(path):
    file = ROOT / path
    assert file.is_file(), f"{path} is cited by the docs but does not exist"
    if path.startswith("slo/") and "rules" not in path:
        load_slo(str(file))
    elif path.startswith("loadtests/profiles/"):
        load_profile(str(file))
    elif path.startswith("tests/slo/data/"):
        load_slo(str(file))
    else:
        assert yaml.safe_load(file.read_text()) is not None
