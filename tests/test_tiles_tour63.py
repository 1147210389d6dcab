"""Tour 63: whole-scene tiling and seam joins (io/tiles.py, io/unions.py, io/seams.py)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _private_uses(path: Path, of: str) -> set[str]:
    """Attributes starting with ``_`` read off the name ``of`` in ``path`` (``merger._clusters``)."""
    tree = ast.parse(path.read_text())
    return {n.attr for n in ast.walk(tree)
            if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == of
            and n.attr.startswith("_")}


def test_unions_use_only_the_mergers_public_interface():
    assert _private_uses(ROOT / "rsvlm/io/unions.py", "merger") == set()
    src = (ROOT / "rsvlm/io/unions.py").read_text()
    assert "from rsvlm.io.tiles import _" not in src
    from rsvlm.io.tiles import TileMerger
    for name in ("clusters", "at_seam", "seam_line", "best_of"):
        assert callable(getattr(TileMerger, name))
