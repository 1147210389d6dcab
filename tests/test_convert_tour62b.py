"""Tour 62b (converters, second round): an empty LLaVA file named, COCO's renamed duplicate ids named,
RGB photos named ``_bNN`` kept as images, an empty GeoJSON collection not counted as reprojected."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("text, said", [("", "empty file"), (" \n\n", "empty file"), ("[]", "empty JSON array")])
def test_an_empty_llava_file_is_named_in_the_no_records_error(tmp_path, capsys, text, said):
    """It ended 'no records written (nothing to convert)', naming no file (rsivqa names its own)."""
    from data_gen.convert import main

    (tmp_path / "img").mkdir()
    (tmp_path / "e.json").write_text(text)
    argv = ["llava", "--src", str(tmp_path / "e.json"), "--images", str(tmp_path / "img"), "--out", str(tmp_path / "o")]
    assert main(argv) == 2
    assert f"no records written ({tmp_path / 'e.json'}: {said})" in capsys.readouterr().err
