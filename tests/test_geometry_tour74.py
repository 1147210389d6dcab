"""Stop 74 (D2): decode's repair mark ``REPAIRED`` is spelt once, in ``rsvlm.geometry.codec``."""

from __future__ import annotations

import ast
from pathlib import Path

from rsvlm import geometry
from rsvlm.geometry.codec import REPAIRED

ROOT = Path(__file__).resolve().parents[1]


def test_every_repair_decode_makes_ends_with_the_one_mark():
    box = geometry.decode("<box><loc_500><loc_500><loc_100><loc_100></box>", 100, 100).problems
    obb = geometry.decode("<obb><loc_100><loc_100><loc_500><loc_500><loc_500><loc_100><loc_100><loc_500></obb>",
                          100, 100).problems
    grid = geometry.decode("<mask><grid><loc_9><loc_9><loc_0><loc_0><loc_1><loc_1></grid><row><loc_0><loc_1>"
                           "</mask>", 10, 10).problems
    for problems in (box, obb, grid):
        assert len(problems) == 1 and problems[0].endswith(REPAIRED), problems


def test_the_mark_is_one_object_wherever_it_is_imported():
    from rsvlm import tta, tta_text
    from rsvlm.data import records

    assert tta_text.REPAIRED is REPAIRED and tta.unrepaired is tta_text.unrepaired
    assert records.REPAIRED is REPAIRED


def test_the_mark_is_typed_out_only_where_it_is_defined():
    """A second spelling (``"; swapped"`` typed out in grid, records, tta_text) drifts from decode's: tta would fuse
    no repaired shape and records would refuse one without the way out, unsaid."""
    found = [f"{p.relative_to(ROOT)}:{node.lineno}" for folder in ("rsvlm", "data_gen", "eval", "scripts", "bench")
             for p in sorted((ROOT / folder).rglob("*.py"))
             for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))  # strings, not comments that name it
             if isinstance(node, ast.Constant) and isinstance(node.value, str) and "; swapped" in node.value]
    assert len(found) == 1 and found[0].startswith("rsvlm/geometry/codec.py:"), found
