"""Review of tour 76 (E): the collar look holds no int copy of a large decoded image, and finds a 16-bit white
collar; ``--limit`` on dota still counts an image no label file names."""

import json
import tracemalloc

import numpy as np

from data_gen.__main__ import main


def test_the_collar_look_at_a_decoded_image_copies_it_no_wider(tmp_path):
    """The look cast the tiler's whole decode to int32 (4 bytes a value) and took its difference: 5 times the
    image's bytes at the peak on a 9 M px DOTA PNG, before it looked at the edge at all."""
    import scipy.ndimage  # noqa: F401  imported before the count: its own allocations are no copy
    from PIL import Image

    from data_gen.tiling import constant_border

    rng = np.random.default_rng(0)
    a = rng.integers(30, 220, (1500, 1600, 3), dtype=np.uint8)  # no collar
    Image.fromarray(a).save(tmp_path / "s.png", compress_level=1)
    with Image.open(tmp_path / "s.png") as im:
        im.load()
        tracemalloc.start()
        assert constant_border(tmp_path / "s.png", image=im) is None
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak < 2.5 * a.nbytes, peak / a.nbytes


def test_a_16_bit_white_collar_and_a_jpeg_black_one_are_found(tmp_path):
    from PIL import Image

    from data_gen.tiling import constant_border

    a = np.full((80, 100), 65535, np.uint16)
    a[20:60, 20:80] = np.random.default_rng(1).integers(1000, 30000, (40, 60), dtype=np.uint16)
    Image.fromarray(a).save(tmp_path / "w.png")
    assert constant_border(tmp_path / "w.png") == ((65535,), 80 * 100 - 40 * 60, 8000)
    b = np.zeros((80, 100, 3), np.uint8)
    b[20:60, 20:80] = 128
    Image.fromarray(b).save(tmp_path / "b.jpg", quality=85)  # ringing: within 8 levels of black, none below 0
    found = constant_border(tmp_path / "b.jpg")
    assert found is not None and found[0] == (0, 0, 0) and abs(found[1] - (8000 - 2400)) < 200, found


def test_limit_on_dota_still_counts_an_image_no_label_names(tmp_path):
    """Under --limit, images_without_label was dropped whole: P2.png, which no label file names, went uncounted."""
    from PIL import Image

    for k in range(3):
        Image.fromarray(np.full((64, 64, 3), 90, np.uint8)).save(tmp_path / f"P{k}.png")
    for k in range(2):
        (tmp_path / f"P{k}.txt").write_text("10 10 20 10 20 20 10 20 small-vehicle 0\n")
    main(["convert", "dota", "--src", str(tmp_path), "--out", str(tmp_path / "o"), "--limit", "1", "--no-progress"])
    stats = json.loads((tmp_path / "o" / "stats.json").read_text())
    assert stats["notes"]["inputs_left_out_by_limit"] == 1, stats
    assert stats["notes"]["images_without_label"] == 1, stats  # P2.png; P1.png, whose label was unread, is not
    assert stats["notes_examples"]["images_without_label"].endswith("P2.png"), stats
