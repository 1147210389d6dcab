"""Review of tour 59's converters: the near-duplicate edge-tile note weighs the last tile's shift
against the step the overlap asked for, not against half a tile."""

from __future__ import annotations

from convert_helpers import convert, png


def test_a_half_tile_overlap_is_no_near_duplicate_edge():
    # at --tile 256 --overlap 128 neighbours share half a tile by request; a 712 px wide scene's last
    # column 72 px past the one before (of 128 px steps) was noted as a near copy, as almost every
    # image at that overlap was
    from data_gen.tiling import near_duplicate_edges, tile_windows

    assert not near_duplicate_edges(tile_windows(712, 512, 256, 128), 128)
    assert near_duplicate_edges(tile_windows(712, 512, 256, 128), 0)  # weighed against a 256 px step
    assert not near_duplicate_edges(tile_windows(712, 557, 256, 128), 128)  # y: 0 100 200 301, spread evenly
    assert not near_duplicate_edges(tile_windows(712, 512, 256, 200), 200)  # x: 50-51 px steps, spread evenly
    assert near_duplicate_edges(tile_windows(256, 256, 255, 0), 0)


def test_the_dota_note_follows_the_overlap_given(tmp_path):
    png(tmp_path / "d" / "a.png", 90, 40)  # --tile 32 --overlap 16: x starts 0 16 32 48 58, the last 10 px on
    (tmp_path / "d" / "a.txt").write_text("4 4 28 4 28 28 4 28 plane 0\n")
    stats, _ = convert(tmp_path / "o", "dota", "--src", str(tmp_path / "d"), "--tile", "32", "--overlap", "16")
    assert stats["notes"]["tiles"] >= 1 and "images_with_near_duplicate_edge_tiles" not in stats["notes"]
    png(tmp_path / "d2" / "a.png", 45, 40)  # just over one --tile 40: x starts 0 5, 5 px of a 40 px step
    (tmp_path / "d2" / "a.txt").write_text("4 4 28 4 28 28 4 28 plane 0\n")
    stats, _ = convert(tmp_path / "o2", "dota", "--src", str(tmp_path / "d2"), "--tile", "40", "--overlap", "0")
    assert stats["notes"]["images_with_near_duplicate_edge_tiles"] == 1
