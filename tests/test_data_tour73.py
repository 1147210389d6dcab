"""Tour 73 of data: synth's scene-count refusal, coco's skip messages, record-field advice, llava's GDAL names,
instruction building end to end."""

import json

from PIL import Image


def test_synth_refusing_too_many_scenes_names_the_option_typed(tmp_path, capsys):
    # it said "n=20000000: at most …" of --n 20000000
    from data_gen.__main__ import main

    assert main(["synth", "--out", str(tmp_path / "x"), "--n", "20000000", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --n 20000000: at most 10000000 scenes a run") and "n=" not in err


def _coco(tmp_path, anns):
    Image.new("RGB", (40, 40)).save(tmp_path / "a.png")
    ann = tmp_path / "ann.json"
    ann.write_text(json.dumps({"images": [{"id": 1, "file_name": "a.png"}], "categories": [{"id": 1, "name": "car"}],
                               "annotations": [{"id": k, "image_id": 1, "category_id": 1, **a}
                                               for k, a in enumerate(anns)]}))
    return ann


def test_coco_skip_examples_say_the_missing_field_not_a_repr(tmp_path):
    # "unparsable_annotation (KeyError('bbox'))", "(KeyError('size'))" in stats.json's skipped_examples
    from data_gen.__main__ import main

    ann = _coco(tmp_path, [{}, {"segmentation": {"counts": [1, 2]}}, {"bbox": [1, 2, 3, 4]}])
    assert main(["convert", "coco", "--ann", str(ann), "--images", str(tmp_path), "--out", str(tmp_path / "o"),
                 "--no-progress"]) == 0
    stats = json.loads((tmp_path / "o" / "stats.json").read_text())
    assert stats["skipped"] == {"unparsable_annotation": 2}
    said = stats["skipped_examples"]["unparsable_annotation"]
    assert said == (f"{ann}: annotations[0] (id 0): unparsable_annotation (no 'bbox' field, and no 'segmentation' "
                    "(polygons or RLE) to take a box from)")
    assert "Error(" not in said


def test_coco_strict_names_an_rle_without_size_in_words(tmp_path, capsys):
    from data_gen.__main__ import main

    ann = _coco(tmp_path, [{"segmentation": {"counts": [1, 2]}}])
    assert main(["convert", "coco", "--ann", str(ann), "--images", str(tmp_path), "--out", str(tmp_path / "o"),
                 "--no-progress", "--strict"]) != 0
    err = capsys.readouterr().err
    assert f"{ann}: annotations[0] (id 0)" in err and "RLE segmentation has no 'size' field ([height, width])" in err
    assert "KeyError" not in err


def test_record_field_advice_agrees_with_advice_s_wording():
    # as_record_fields spelled stem.NAME_BANDS and read_image's advice out by hand: it must follow rsvlm.advice's
    from rsvlm.advice import LIBRARY_TOO, RECORD_TOO, for_cli
    from rsvlm.data.records import as_record_fields

    bands = f"4 unnamed bands read by their order (if not, name them with --bands{RECORD_TOO})"
    assert as_record_fields(bands) == '4 unnamed bands read by their order (if not, name them with "bands" in the ' \
                                      'record\'s image)'
    dem = f"an elevation model: give the modality (--modality{LIBRARY_TOO}) if it is imagery"
    assert as_record_fields(dem) == as_record_fields(for_cli(dem)) == \
        'an elevation model: give the modality (a "modality" in the record\'s image) if it is imagery'
