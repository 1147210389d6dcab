"""Tour 78's walk through README.md as a new user: every page under docs/ is reached from README by links, a
page at docs/ top level straight from README's list (docs/georeferencing.md, split from readers.md this stop,
was reached only through readers.md and cli.md), a page in a folder of docs/ through at most one page between.

Links are Markdown links ``[text](path)`` outside code blocks; a page named only in backticks is not reached."""

from __future__ import annotations

import re
from collections import deque
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def linked_pages(page: Path) -> list[Path]:
    """The ``.md`` files ``page`` links to (resolved; web links, anchors alone and code blocks left out)."""
    text = re.sub(r"^```.*?^```", "", page.read_text(), flags=re.S | re.M)
    found = []
    for target in LINK.findall(text):
        if "://" in target or target.startswith(("#", "mailto:")):
            continue
        path = (page.parent / target.split("#", 1)[0]).resolve()
        if path.suffix == ".md" and path.is_file():
            found.append(path)
    return found


def link_depths(start: Path) -> dict[Path, int]:
    """Each page reached from ``start`` by links, with the fewest links it takes (``start``: 0)."""
    depth = {start.resolve(): 0}
    queue = deque(depth)
    while queue:
        page = queue.popleft()
        for nxt in linked_pages(page):
            if nxt not in depth:
                depth[nxt] = depth[page] + 1
                queue.append(nxt)
    return depth


def test_link_depths_follows_links_and_skips_code_blocks_and_web_links(tmp_path):
    (tmp_path / "docs" / "sub").mkdir(parents=True)
    (tmp_path / "README.md").write_text(
        "[a](docs/a.md) [web](https://x.org/b.md)\n```\n[c](docs/c.md)\n```\n"
    )
    (tmp_path / "docs" / "a.md").write_text("see [s](sub/s.md#part) and [back](../README.md)\n")
    (tmp_path / "docs" / "sub" / "s.md").write_text("# S\n")
    (tmp_path / "docs" / "c.md").write_text("# C, in a code block only\n")
    got = {p.relative_to(tmp_path.resolve()).as_posix(): d for p, d in link_depths(tmp_path / "README.md").items()}
    assert got == {"README.md": 0, "docs/a.md": 1, "docs/sub/s.md": 2}


def test_every_docs_page_is_reached_from_readme_top_level_ones_directly():
    depth = link_depths(REPO / "README.md")
    docs = REPO / "docs"
    unreached = sorted(p.relative_to(REPO).as_posix() for p in docs.rglob("*.md") if p.resolve() not in depth)
    assert not unreached, f"docs pages no link from README reaches: {unreached}"
    top = sorted(
        p.relative_to(REPO).as_posix() for p in docs.glob("*.md") if depth[p.resolve()] != 1
    )
    assert not top, f"docs/ pages README's list does not link (reached only through other pages): {top}"
    deep = sorted(p.relative_to(REPO).as_posix() for p in docs.rglob("*.md") if depth[p.resolve()] > 2)
    assert not deep, f"docs pages more than one page away from README: {deep}"
