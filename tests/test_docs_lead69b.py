"""Stop 69 split docs/benchmarks.md and docs/default-model.md into index pages and pages under
docs/benchmarks/ and docs/default-model/. A page renamed or moved must not leave a dead "docs/….md" path in
code, configs or docs, and a section a file names with its page ('docs/default-model/chat.md, "Long chats"')
must be on that page: a heading, a paragraph it starts, or a link of that index page."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CITING = ["rsvlm", "eval", "data_gen", "scripts", "bench", "configs", "docs", "README.md"]
TEXT = (".py", ".md", ".yaml", ".yml", ".sh", ".txt", ".toml")
DOC_PATH = re.compile(r"(?<![\w/.-])(docs/(?:[\w.-]+/)*[\w.-]+\.md)\b")  # not ../docs/…, not docs/*.md
CITED = re.compile(r"(docs/(?:[\w-]+/)*[\w-]+\.md)(?:[,;]? \(?|\()\"([^\"]+)\"")  # docs/x.md, "Name" / ("Name")


def _citing_files() -> list[Path]:
    files = []
    for root in CITING:
        top = REPO / root
        files += [top] if top.is_file() else [f for f in sorted(top.rglob("*")) if f.suffix in TEXT and f.is_file()]
    return files


def _doc_paths(text: str) -> set[str]:
    return set(DOC_PATH.findall(text))


def _section_starts(page: Path) -> list[str]:
    """Headings outside code fences, link texts, and the words each paragraph starts with."""
    text, starts, fenced = page.read_text(), [], False
    for line in text.splitlines():
        fenced ^= line.startswith("```")
        if not fenced and (m := re.match(r"#{1,6}\s+(.+?)\s*#*$", line)):
            starts.append(m.group(1))
    starts += re.findall(r"\[([^\]]+)\]\(", text)
    starts += [p.strip().lstrip("*").strip() for p in re.split(r"\n\s*\n", text)]
    return starts


def test_the_path_finder_sees_doc_paths_and_not_globs_or_placeholders():
    text = ("see docs/nope.md, docs/benchmarks/made_up.md. (docs/default-model/x-y.md) [a](docs/cli.md)\n"
            "docs/*.md docs/benchmarks/<bench>.md ../docs/up.md rsvlm/docs/inner.md docs/default-model/")
    assert _doc_paths(text) == {"docs/nope.md", "docs/benchmarks/made_up.md", "docs/default-model/x-y.md",
                                "docs/cli.md"}


def test_every_docs_page_a_file_names_exists():
    named = {(f.relative_to(REPO).as_posix(), p) for f in _citing_files() for p in _doc_paths(f.read_text(errors="replace"))}
    dead = sorted(f"{f}: {p}" for f, p in named if not (REPO / p).is_file())
    assert {p for _, p in named} >= {"docs/default-model/chat.md", "docs/benchmarks/missing_bands.md"}
    assert not dead, f"pages that do not exist (renamed or split? name the page that holds it now): {dead}"


def test_every_section_a_file_names_with_its_page_is_on_that_page():
    """configs/default/sft_chat.yaml: 'docs/default-model/chat.md, "Chat: later turns"' is chat.md's title."""
    cited, missing = set(), []
    for f in _citing_files():
        text = re.sub(r"\s+", " ", f.read_text(errors="replace"))  # a name may wrap onto the next line
        cited |= {(f.relative_to(REPO).as_posix(), page, name) for page, name in CITED.findall(text)}
    for f, page, name in sorted(cited):
        if (REPO / page).is_file() and not any(s.lower().startswith(name.lower())
                                               for s in _section_starts(REPO / page)):
            missing.append(f'{f}: {page}, "{name}"')
    pages = {page for _, page, _ in cited}
    assert {"docs/default-model/chat.md", "docs/default-model/test-time-augmentation.md"} <= pages, sorted(pages)
    assert not missing, f"sections not on the page named with them: {missing}"
