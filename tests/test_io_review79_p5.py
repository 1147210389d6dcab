"""Review of stop 79's reading round 2 (P5): a PIL image read no smaller is not copied; the band-naming hint says
how many names, in which order."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rsvlm.advice import for_chat, for_cli
from rsvlm.io.pil_source import ArraySource
from rsvlm.model.stem import StemConfig, match_bands


def test_a_pil_image_no_larger_than_max_side_is_read_as_it_is_not_copied():
    """285ec776's index read copied the whole image twice even at its own size (0.3 s at 2048 px, every sample)."""
    arr = np.random.default_rng(0).integers(0, 255, (4, 60, 40), dtype=np.uint8)  # R, G, B, alpha
    src = ArraySource(Path("x.png"), (arr, 3))
    read, given = src.read, []
    src.read = lambda *a: given.append(read(*a)) or given[-1]
    raw, valid = src.read_decimated(60, [0, 1, 2], None)
    assert raw is given[0][0] and valid is given[0][1] and raw.shape == (3, 60, 40)  # the read itself, no copy
    small, small_valid = src.read_decimated(30, [0, 1, 2], None)  # shrunk: GDAL's centres, (2i + 1) * H // (2h)
    np.testing.assert_array_equal(small, arr[:3, 1::2, 1::2])
    np.testing.assert_array_equal(small_valid, arr[3, 1::2, 1::2] > 0)


@pytest.mark.parametrize("n, fill, end", [(2, "copy", "to fill the missing ones"),
                                          (5, "error", "to pick the model's 4 from them")])
def test_unnamed_bands_are_told_how_many_names_to_give_in_their_order(n, fill, end):
    cfg = StemConfig(modality="msi", bands=["B02", "B03", "B04", "B08"], mean=[0.1] * 4, std=[0.1] * 4)
    with pytest.raises(ValueError) as e:
        match_bands(cfg, None, n, "x.tif", fill)
    names = ",".join(f"B{i + 1}" for i in range(n))
    assert str(e.value).endswith(f"got {n}; name them, {n} names in their order (--bands, or \"bands\" in a record's "
                                 f"image, e.g. --bands {names} with each band's real name) {end}"), str(e.value)
    assert f"(--bands, e.g. --bands {names} with" in for_cli(str(e.value))
    assert f"e.g. /image x.tif msi {names} with" in for_chat(str(e.value), "x.tif", "msi")


def test_an_avif_where_pil_has_no_avif_says_so_without_a_pillow_warning(tmp_path, monkeypatch, recwarn):
    """pyproject pins pillow>=10; AVIF came in 11.2, where features.check('avif') warned "Unknown feature" first."""
    from PIL import features

    from rsvlm.io.file_kinds import unread_kind

    monkeypatch.setattr(features, "get_supported_modules", lambda: ["pil", "webp"])  # an older pillow's
    monkeypatch.setattr(features, "check", lambda f: pytest.fail("check() warns of a feature it does not know"))
    p = tmp_path / "a.avif"
    p.write_bytes(b"\0\0\0\x1cftypavif" + b"\0" * 64)
    assert unread_kind(p) == (f"{p}: an AVIF (an AV1 photo format), which neither GDAL nor PIL here reads: convert "
                              f"it (e.g. magick {p} {tmp_path / 'a.png'}) and give the converted file")
    assert not recwarn.list


def test_a_pdf_named_png_is_not_told_to_render_over_itself(tmp_path):
    """pdftoppm -singlefile scan.png scan wrote scan.png over the PDF it was reading."""
    from rsvlm.io.file_kinds import unread_kind

    (tmp_path / "scan.png").write_bytes(b"%PDF-1.4\n" + b"\0" * 64)
    (tmp_path / "doc.pdf").write_bytes(b"%PDF-1.4\n" + b"\0" * 64)
    assert unread_kind(tmp_path / "scan.png").endswith(f"-singlefile {tmp_path / 'scan.png'} {tmp_path / 'scan-page'})")
    assert unread_kind(tmp_path / "doc.pdf").endswith(f"-singlefile {tmp_path / 'doc.pdf'} {tmp_path / 'doc'})")
