"""Tour 59's docs/data.md and docs/data-convert.md (the converter guide moved out of data.md, which had
passed 500 lines; their links are checked in tests/test_docs_tour58.py): the stats keys, skip reasons and
notes this session's converters added are named where a user looks them up (they were not), and the
``--tile`` floor the guide gives is the one the option enforces."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from data_gen.convert import common, options

REPO = Path(__file__).resolve().parents[1]
PAGES = ("docs/data.md", "docs/data-convert.md")


@pytest.mark.parametrize("name", PAGES)
def test_data_pages_stay_under_500_lines(name):
    """Their links and headings are checked with the other pages' (tests/test_docs_tour58.py's PAGES)."""
    assert (REPO / name).read_text().count("\n") < 500


def test_data_md_points_to_the_converter_guide():
    text = (REPO / "docs" / "data.md").read_text()
    assert "](data-convert.md)" in text and "## Real datasets" in text


def test_converter_stats_keys_and_new_reasons_are_in_the_guide(tmp_path):
    guide = (REPO / "docs" / "data-convert.md").read_text()
    out = common.Output(tmp_path / "o", "test")
    out.skip("x", "f:1")
    out.filter("--classes", "ship")
    missing = [k for k in out.stats() if k not in ("source", "records", "tasks", "images", "jsonl")
               and f"`{k}`" not in guide]
    assert not missing, missing  # filtered, filtered_total were not named
    code = "".join(p.read_text() for p in [*(REPO / "data_gen" / "convert").glob("*.py"), REPO / "data_gen" / "tiling.py"])
    for reason in ("bad_class_name", "not_utf8", "invalid_record", "degenerate"):
        # a skip call naming it, as its first argument or one of two (9187b6b6: ``out.skip("a" if … else "b", …)``)
        used = re.search(rf'out\.skip\((?:"\w+" if [^)]* else )?"{reason}"', code)
        assert used and f"`{reason}`" in guide, reason
    assert 'out.note("images_with_near_duplicate_edge_tiles")' in code
    assert "`images_with_near_duplicate_edge_tiles`" in guide


def test_the_guide_gives_the_tile_floor_the_option_enforces():
    guide = (REPO / "docs" / "data-convert.md").read_text()
    said = re.search(r"`--tile` under (\d+) px", guide)
    assert said and int(said.group(1)) == options.MIN_TILE
    with pytest.raises(Exception, match=str(options.MIN_TILE)):
        options.tile_size(str(options.MIN_TILE - 1))
    assert options.tile_size(str(options.MIN_TILE)) == options.MIN_TILE
