"""docs/benchmarks.md is the index of the benchmarks; each one's tables and history live in docs/benchmarks/.
The index must lead to every page, name every bench script, and keep the section names other docs and the code
cite ("docs/benchmarks.md (g)", "GPU checks", "Missing bands", ...)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from rsvlm.cli import build_parser

REPO = Path(__file__).resolve().parents[1]
INDEX = REPO / "docs" / "benchmarks.md"
PAGES = REPO / "docs" / "benchmarks"


def test_the_index_links_every_page_and_every_link_resolves():
    """The 1100-line docs/benchmarks.md held every table of every benchmark: a reader looking for one
    scrolled through all. Now the index links one page a benchmark."""
    index = INDEX.read_text()
    linked = set(re.findall(r"\]\(benchmarks/([\w-]+\.md)\)", index))
    pages = {p.name for p in PAGES.glob("*.md")}
    assert pages and linked == pages, (sorted(linked ^ pages))
    assert len(index.splitlines()) < 300  # an index, not the tables again
    for page in PAGES.glob("*.md"):
        text = page.read_text()
        assert "](../benchmarks.md)" in text, page.name
        for target in re.findall(r"\]\(([\w-]+\.md)\)", text):
            assert (PAGES / target).is_file(), f"{page.name} links {target}"


def test_every_bench_script_is_in_the_index_with_its_page():
    index = INDEX.read_text()
    scripts = sorted(p.name for p in (REPO / "bench").iterdir()
                     if p.suffix in (".py", ".sh") and p.name not in ("common.py", "__init__.py"))
    missing = [s for s in scripts if f"bench/{s}" not in index]
    assert not missing, missing


def test_the_section_names_other_docs_cite_are_headings_of_the_index():
    """Other docs and the code point to "docs/benchmarks.md (g)", "GPU checks", "Missing bands", "Stop 68 — half
    precision", "Stop 68 — eval start-up", "section (b)": each is a heading of the index, which links its page."""
    heads = [h for h in INDEX.read_text().splitlines() if h.startswith("## ")]
    for name in ["(a)", "(b)", "(c)", "(d)", "(e)", "(f)", "(g)", "(h)", "Missing bands", "GPU training",
                 "GPU checks", "Scoring", "Stop 68 — half precision", "Stop 68 — tiling", "Stop 68 — eval start-up"]:
        assert any(h[3:].startswith(name) for h in heads), name


def test_every_rsvlm_option_a_benchmark_page_names_exists():
    """tests/test_docs_tour54.py checks docs/*.md alone; the pages under docs/benchmarks/ are checked here."""
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    opts = {name: {s for a in p._actions for s in a.option_strings} for name, p in sub.choices.items()}
    pattern = re.compile(rf"rsvlm ({'|'.join(map(re.escape, opts))})\b(.*?)(?=`|#|rsvlm |$)")
    wrong, pages = [], sorted(PAGES.glob("*.md"))
    assert pages
    for page in pages:
        for no, line in enumerate(page.read_text().splitlines(), 1):
            for m in pattern.finditer(line):
                wrong += [f"{page.name}:{no}: {o}" for o in re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", m.group(2))
                          if o not in opts[m.group(1)]]
    assert not wrong, wrong


def test_every_bench_command_of_a_page_names_a_script_that_exists():
    said = set()
    for page in [INDEX, *PAGES.glob("*.md")]:
        said |= set(re.findall(r"bench/([\w/]+\.(?:py|sh))", page.read_text()))
    absent = sorted(s for s in said if not (REPO / "bench" / s).is_file())
    assert said and not absent, absent
