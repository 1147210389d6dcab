"""docs/default-model.md reads current state first: what the model is, building it, its choices, its scores
against issue 8's targets, the learning curves of the recipe and why targets are missed. The build-by-build
history and the long experiment sections (3785 lines in all before stop 69) live on docs/default-model/<topic>.md,
each linked from the page; every section name another file cites is still reached from the page."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MAIN = REPO / "docs" / "default-model.md"
PAGES = REPO / "docs" / "default-model"
CITING = ["rsvlm", "eval", "data_gen", "scripts", "bench", "configs", "docs", "README.md"]


def _headings(text: str) -> list[str]:
    """Heading titles outside code fences (a ``# comment`` in a fenced command is no heading)."""
    names, fenced = [], False
    for line in text.splitlines():
        fenced ^= line.startswith("```")
        if not fenced and (m := re.match(r"#{1,6}\s+(.+?)\s*#*$", line)):
            names.append(m.group(1))
    return names


def _anchor(title: str) -> str:
    return re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")


def _links(page: Path) -> list[str]:
    return [t for t in re.findall(r"\]\(([^)\s]+)\)", page.read_text()) if not re.match(r"[a-z][a-z0-9+.-]*:", t)]


def test_every_page_split_from_the_model_page_is_linked_from_it_and_every_link_resolves():
    pages = sorted(PAGES.glob("*.md"))
    linked = {t.partition("#")[0] for t in _links(MAIN)}
    assert len(pages) >= 5 and not [p.name for p in pages if f"default-model/{p.name}" not in linked]
    broken = []
    for page in [MAIN, *pages]:
        for target in _links(page):
            path, _, anchor = target.partition("#")
            file = (page.parent / path).resolve() if path else page
            if not file.is_file() or (anchor and anchor not in {_anchor(h) for h in _headings(file.read_text())}):
                broken.append(f"{page.name}: {target}")
        if page != MAIN:
            assert "](../default-model.md)" in page.read_text(), f"{page.name} does not link back"
    assert not broken, broken


def test_the_page_holds_the_current_state_whole_and_no_build_history():
    """The scores, Building it and Why targets are missed sat after 2400 lines of build history."""
    text = MAIN.read_text()
    heads = _headings(text)
    for name in ["Building it", "Choices", "Scores", "Learning curves", "Choices measured", "Why targets are missed"]:
        assert name in heads, name
    assert any(h.startswith("Build 1 (") for h in heads) and any(h.startswith("Build 2 (") for h in heads)
    assert not [h for h in heads if re.match(r"Build (\d\d|[3-9]) |Not shipped", h)], "history on the main page"
    assert heads.index("Scores") < heads.index("Learning curves") < heads.index("Why targets are missed")
    assert len(text.splitlines()) < 1000
    scores = text.split("\n## Scores\n", 1)[1].split("\n## ", 1)[0]
    for task in ["Classification", "Counting", "VQA", "Grounding", "Detection hbb", "Detection obb", "Segmentation",
                 "Change"]:
        assert re.search(rf"^\| {task} \(.*\| ≥ 0\.\d+ \|(.*\|){{6}}$", scores, re.M), task  # all, 4 sensors, gap
    assert "| all − target |" in scores
    curves = text.split("\n## Learning curves\n", 1)[1].split("\n## ", 1)[0]
    assert "CPU min" in curves and "| choice | measured | effect |" in curves


def _cited_names() -> set[str]:
    """Section names other files give with docs/default-model.md: '"Long chats"', 'build 12'."""
    names = set()
    for root in CITING:
        files = [REPO / root] if root.endswith(".md") else (REPO / root).rglob("*")
        for f in files:
            if f.suffix not in (".py", ".md", ".yaml", ".sh") or f == MAIN or PAGES in f.parents:
                continue
            text = re.sub(r"\s+", " ", f.read_text(errors="replace"))
            for m in re.finditer(r"default-model(?:/[\w-]+)?\.md[,;]? ?\(?([^()|]{0,300})", text):  # up to the ( ) or | ending it
                names |= set(re.findall(r"\"([^\"]+)\"", m.group(1)))
            names |= {f"Build {n} " for n in re.findall(r"default-model(?:/[\w-]+)?\.md[,;]? builds? (\d+)", text)}
            names |= {f"Build {n} " for n in re.findall(r"builds? (\d+) in docs/default-model(?:/[\w-]+)?\.md", text)}
    return names


def test_every_section_name_another_file_cites_is_reached_from_the_page():
    """configs, docs and code cite 'docs/default-model.md, "Long chats"', '("Not shipped: the location pointer")',
    'build 7': each is a heading of the page or a link of it whose text names it."""
    names = _cited_names()
    assert {"Chat: later turns", "Corner crops", "Long chats", "Not shipped: the location pointer", "Build 12 ",
            "Reproducing build 19 from nothing", "Not shipped: build 21"} <= names, sorted(names)
    text = MAIN.read_text()
    reachable = _headings(text) + re.findall(r"\[([^\]]+)\]\(", text)
    assert not [n for n in names if not any(r.lower().startswith(n.lower()) for r in reachable)]


def test_the_rsvlm_options_of_the_split_pages_exist():
    """tests/test_docs_tour54.py checks the options of docs/*.md, not of the pages under docs/default-model/."""
    from rsvlm.cli import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    opts = {name: {s for a in p._actions for s in a.option_strings} for name, p in sub.choices.items()}
    pattern = re.compile(rf"rsvlm ({'|'.join(map(re.escape, opts))})\b(.*?)(?=`|#|rsvlm |$)")
    wrong, seen = [], 0
    for page in sorted(PAGES.glob("*.md")):
        for line in page.read_text().splitlines():
            for m in pattern.finditer(line):
                for o in re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", m.group(2)):
                    seen += 1
                    if o not in opts[m.group(1)]:
                        wrong.append(f"{page.name}: rsvlm {m.group(1)} {o}")
    assert seen > 20 and not wrong, wrong
