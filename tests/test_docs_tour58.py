"""Tour 58's walk through README.md and docs/{tta,eval,geometry,models,memory,design}.md: the grid-mask
example of docs/geometry.md is what ``geometry.encode`` writes, with the location-token count the page
gives (it said 14 for the example's 12), and every relative link of those pages reaches its file and
``#anchor`` (a renamed heading breaks a link without a word)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from rsvlm import geometry

REPO = Path(__file__).resolve().parents[1]
PAGES = ["README.md", *(f"docs/{n}.md" for n in ("tta", "eval", "eval-run", "geometry", "models", "memory", "design", "data", "data-convert"))]


def test_geometry_md_grid_example_is_what_encode_writes_and_counts_its_tokens():
    text = (REPO / "docs" / "geometry.md").read_text()
    part = text.split("Example: a 10×8 image", 1)[1]
    block, after = part.split("```", 2)[1:]
    written = "".join(re.sub(r"\s{2,}rows? .*$", "", line).strip() for line in block.splitlines())
    mask = np.zeros((8, 10), bool)  # rows 2–5 × columns 3–4, plus rows 4–5 × columns 5–7
    mask[2:6, 3:5] = True
    mask[4:6, 5:8] = True
    encoded = geometry.encode([{"kind": "mask", "label": None, "mask": mask, "form": "grid"}], width=10, height=8)
    assert written == encoded
    said = re.search(r"(\d+) location tokens", after.split("##", 1)[0])
    assert said and int(said.group(1)) == encoded.count("<loc_"), said and said.group(0)
    decoded = geometry.decode(encoded, width=10, height=8)
    assert not decoded.problems and (geometry.objects_to_mask(decoded.objects, 10, 8) == mask).all()


def _anchors(page: Path) -> set[str]:
    """GitHub's heading anchors of ``page`` (lowercased, punctuation but ``-`` and ``_`` dropped, spaces
    as ``-``, a repeated one numbered), headings inside code blocks left out."""
    count: dict[str, int] = {}
    names, fenced = set(), False
    for line in page.read_text().splitlines():
        fenced ^= line.startswith("```")
        if fenced or not (m := re.match(r"#{1,6}\s+(.+?)\s*#*$", line)):
            continue
        slug = re.sub(r"[^\w\- ]", "", m.group(1).lower()).replace(" ", "-")
        names.add(f"{slug}-{count[slug]}" if slug in count else slug)
        count[slug] = count.get(slug, 0) + 1
    return names


def test_the_anchor_reader_names_headings_as_github_does(tmp_path):
    page = tmp_path / "p.md"
    page.write_text("# Test-time augmentation: `--tta flip`\n```\n# not a heading\n```\n## Notes\n## Notes\n")
    assert {"test-time-augmentation---tta-flip", "notes", "notes-1"} <= _anchors(page)
    assert "not-a-heading" not in _anchors(page)


@pytest.mark.parametrize("name", PAGES)
def test_every_relative_link_reaches_its_file_and_anchor(name):
    page = REPO / name
    text = page.read_text()
    broken = []
    for m in re.finditer(r"\]\(([^)\s]+)\)", text):
        target = m.group(1)
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        line = text.count("\n", 0, m.start()) + 1
        if not file.exists():
            broken.append(f"{name}:{line}: {target} (no such file)")
        elif anchor and (file.suffix != ".md" or anchor not in _anchors(file)):
            broken.append(f"{name}:{line}: {target} (no such heading)")
    assert not broken, broken
