"""Tour 72 (area D): synthetic data, converters and records as a demanding user meets them."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from convert_helpers import convert, objs, png


def _band_tif(path, value: int = 100) -> None:
    import rasterio

    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # not georeferenced
        with rasterio.open(path, "w", driver="GTiff", width=32, height=32, count=1, dtype="uint16") as ds:
            ds.write(np.full((1, 32, 32), value, np.uint16))  # (1, H, W)


def test_a_band_given_twice_is_named_once_and_bands_are_counted(tmp_path):
    """'band(s) B02, b2 in two files' said of one band spelt two ways: now 'band B02/b2', two bands 'bands'; a
    scene of two band files is '(+1 band file)' in its meta, not '(+1 band files)'."""
    src = tmp_path / "src" / "x"
    for name in ("forest_B02.tif", "forest_b2.tif", "forest_B03.tif", "field_B02.tif", "field_b2.tif",
                 "field_B03.tif", "field_b3.tif", "ok_B02.tif", "ok_B03.tif"):
        _band_tif(src / name)
    stats, recs = convert(tmp_path / "o", "folder", "--src", str(src.parent), "--no-progress")
    assert stats["skipped"]["band_given_twice"] == 2
    assert stats["skipped_examples"]["band_given_twice"].endswith("(bands B02/b2, B03/b3 in more than one file)")
    assert [r["meta"]["file"] for r in recs] == ["x/ok_B02.tif (+1 band file)"]


def _utm_tif(path, bands: int) -> None:
    import rasterio
    from rasterio.transform import from_origin

    path.parent.mkdir(parents=True, exist_ok=True)
    data = np.random.default_rng(0).integers(0, 255, (bands, 64, 64), dtype=np.uint8)  # (C, H, W)
    with rasterio.open(path, "w", driver="GTiff", width=64, height=64, count=bands, dtype="uint8",
                       crs="EPSG:32631", transform=from_origin(500000.0, 4000000.0, 1.0, 1.0)) as ds:
        ds.write(data)


def _footprints(path, n: int) -> None:
    """``n`` 10 m squares inside ``_utm_tif``'s 64 m square, in its CRS."""
    feats = [{"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [[
        [500005 + 12 * k, 3999950], [500015 + 12 * k, 3999950], [500015 + 12 * k, 3999960],
        [500005 + 12 * k, 3999960], [500005 + 12 * k, 3999950]]]}} for k in range(n)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats,
                                "crs": {"type": "name", "properties": {"name": "EPSG:32631"}}}))


def test_the_footprints_of_a_geotiff_that_fails_its_size_check_are_counted(tmp_path):
    """A GeoTIFF that cannot be read as --modality (3 bands as SAR), or opened at all, was skipped (wrong_band_count,
    unreadable_image), its footprints lost without a count; now counted as objects_unchecked_image_unreadable, as
    dota's and voc's are."""
    _utm_tif(tmp_path / "img" / "a.tif", 1)
    _utm_tif(tmp_path / "img" / "b.tif", 3)
    (tmp_path / "img" / "c.tif").write_bytes((tmp_path / "img" / "a.tif").read_bytes()[:40])  # cut short
    _footprints(tmp_path / "lab" / "a.geojson", 2)
    _footprints(tmp_path / "lab" / "b.geojson", 3)
    _footprints(tmp_path / "lab" / "c.geojson", 4)
    stats, recs = convert(tmp_path / "o", "geojson", "--images", str(tmp_path / "img"), "--labels",
                          str(tmp_path / "lab"), "--modality", "sar", "--no-progress")
    assert len(recs) >= 1 and stats["skipped"]["wrong_band_count"] == 1 and stats["skipped"]["unreadable_image"] == 1
    assert stats["notes"]["objects_unchecked_image_unreadable"] == 3 + 4


def test_synths_notes_after_the_run_name_the_option_typed(tmp_path, capsys):
    """'under 3 px at scene.size 32' and 'scene.pairs_fraction 0.5' after 'synth --size 32 --pairs-fraction 0.5':
    keys the user never typed; a key=value or config file still names the key."""
    from data_gen.__main__ import main

    argv = ["synth", "--n", "2", "--no-progress", "--modalities", "optical", "--tasks", "cls,change"]
    weights = 'scene.scene_weights={"parking lot": 1000}'
    assert main([*argv, "--out", str(tmp_path / "a"), "--size", "32", "--pairs-fraction", "0.1", weights]) == 0
    err = capsys.readouterr().err
    assert "under 3 px at --size 32," in err and "scene.size" not in err
    assert "(--pairs-fraction 0.1)" in err and "scene.pairs_fraction" not in err
    assert main([*argv, "--out", str(tmp_path / "b"), weights, "scene.size=32", "scene.pairs_fraction=0.1"]) == 0
    err = capsys.readouterr().err
    assert "under 3 px at scene.size 32," in err and "(scene.pairs_fraction 0.1)" in err


@pytest.mark.parametrize("under", [(255, 255, 255), (0, 0, 0)])
def test_a_transparent_colour_table_entry_of_a_binary_geotiff_label_is_no_class(tmp_path, under):
    """A binary (--binary) GeoTIFF mask whose .aux.xml colour table makes entry 2 transparent: its pixels were read
    as code 2 (the class, or a label not binary), where an indexed PNG's transparent index is no class; now read by
    its colours' greys under that alpha. Black under the transparency with nothing else drawn black is the
    drawn-black-on-an-empty-layer case: read by its alpha."""
    import rasterio

    png(tmp_path / "images" / "a.png", 64, 48)
    (tmp_path / "labels").mkdir()
    a = np.zeros((48, 64), np.uint8)  # (H, W)
    a[10:30, 10:40], a[0:4, :] = 1, 2
    lab = tmp_path / "labels" / "a_mask.tif"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # not georeferenced
        with rasterio.open(lab, "w", driver="GTiff", width=64, height=48, count=1, dtype="uint8") as ds:
            ds.write(a[None])  # (1, H, W)
    entries = [(0, 0, 0, 255), (255, 255, 255, 255), (*under, 0)]
    (tmp_path / "labels" / "a_mask.tif.aux.xml").write_text(
        '<PAMDataset><PAMRasterBand band="1"><ColorInterp>Palette</ColorInterp><ColorTable>'
        + "".join(f'<Entry c1="{r}" c2="{g}" c3="{b}" c4="{t}"/>' for r, g, b, t in entries)
        + "</ColorTable></PAMRasterBand></PAMDataset>")
    stats, recs = convert(tmp_path / "o", "masks", "--images", str(tmp_path / "images"), "--labels",
                          str(tmp_path / "labels"), "--binary", "building", "--form", "poly", "--no-progress")
    rings = [np.asarray(o["coords"], float).reshape(-1, 2) for r in recs for o in objs(r)]  # (N, 2) each
    assert len(rings) == 1, rings
    assert np.allclose([*rings[0].min(axis=0), *rings[0].max(axis=0)], [10, 10, 40, 30], atol=1), rings
    assert "labels_not_binary" not in stats["notes"]


def test_every_question_of_a_multi_turn_record_is_task_checked(tmp_path):
    """A record of several questions (not a chained chat record) was checked on its first only: a '[det]' second
    question under task 'cap' (eval scores the last answer as a caption) and a '[detect]' typo in a second question
    (trained as free chat) were read without a word. (Review 72: the question checked is the one eval answers, the
    last; an earlier question's own tag is no clash, test_data_review72.)"""
    from conftest import write_jsonl

    from rsvlm.data.read_report import ReadReport
    from rsvlm.data.records import read_records

    def rec(rid, task, *prompts):
        turns = [t for k, p in enumerate(prompts) for t in ({"from": "human", "value": ("<image>\n" if not k else "") + p},
                                                              {"from": "gpt", "value": "A harbour with ships."})]
        return {"id": rid, "image": "a.png", "task": task, "conversations": turns}

    path = write_jsonl(tmp_path / "r.jsonl", [
        rec("ok", "cap", "[cap] Describe the image.", "[cap] Say more."),
        rec("clash", "cap", "[cap] Describe the image.", "[det] Detect all ships."),
        rec("typo", None, "Hello.", "[detect] the ships"),
    ])
    report = ReadReport(path)
    assert len(list(read_records(path, strict=False, report=report))) == 3
    assert report.task_clash_first == [f"{path}:2 (id clash): task 'cap', question 2's prompt [det]"]
    assert dict(report.unknown_tags) == {"detect": 1}


def test_footprints_in_a_shapefile_are_named_as_such_with_the_way_to_geojson(tmp_path, capsys):
    """--labels buildings.shp was 'cannot read JSON (Expecting value: line 1 column 1 (char 0))', and a folder of
    shapefiles 'no GeoJSON with key …: give --match'; now both name the shapefile and the ogr2ogr line."""
    from data_gen.convert import main

    _utm_tif(tmp_path / "d" / "a.tif", 1)
    (tmp_path / "d" / "a.shp").write_bytes(b"\x00\x00\x27\x0a" + bytes(96))  # a shapefile's header, as far as read
    out = str(tmp_path / "o")
    assert main(["geojson", "--images", str(tmp_path / "d" / "a.tif"), "--labels", str(tmp_path / "d" / "a.shp"),
                 "--out", out, "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert f"--labels {tmp_path / 'd' / 'a.shp'}: a.shp is a .shp file, not GeoJSON" in err
    assert f"ogr2ogr -f GeoJSON {tmp_path / 'd' / 'a.geojson'} {tmp_path / 'd' / 'a.shp'}" in err
    assert main(["geojson", "--images", str(tmp_path / "d"), "--labels", str(tmp_path / "d"), "--out", out,
                 "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "missing_labels (no GeoJSON with key 'a'; a.shp is a .shp file, not GeoJSON" in err and "--match" not in err


def test_masks_in_the_images_folder_with_a_suffix_of_their_own_are_told_how_to_pair(tmp_path, capsys):
    """SIRST's Misc_100.png beside Misc_100_pixels0.png: 'no label images', nothing more; now the suffixes looked
    for and the --label-suffix that pairs them."""
    from data_gen.convert import main

    png(tmp_path / "d" / "Misc_100.png", 32, 32)
    png(tmp_path / "d" / "Misc_100_pixels0.png", 32, 32, mode="L")
    argv = ["masks", "--images", str(tmp_path / "d"), "--labels", str(tmp_path / "d"), "--binary", "target",
            "--out", str(tmp_path / "o"), "--no-progress"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'd'}: no label images: in a folder of images and labels a label's stem ends with one of " \
           "_instance_color_RGB, _response" in err
    assert "give --label-suffix (e.g. --label-suffix _pixels0: a stem that is another's plus '_pixels0')" in err


@pytest.mark.parametrize("flat", [False, True])
def test_a_levir_b_image_with_no_a_image_nor_label_is_counted(tmp_path, flat):
    """B/t2.png with no A/t2 nor label/t2 (a split copied in part) was left out without a word, where an A image
    without a label is counted (images_without_label)."""
    from PIL import Image

    src = tmp_path / "src"
    lab = np.zeros((32, 32), np.uint8)  # (H, W)
    lab[4:12, 4:12] = 255

    def put(kind: str, name: str, a=None) -> None:
        path = src / (f"{name}_{kind}.png" if flat else f"{kind}/{name}.png")
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(a if a is not None else np.full((32, 32, 3), 90, np.uint8)).save(path)

    put("A", "t1"), put("B", "t1"), put("label", "t1", lab), put("B", "t2"), put("B", "t3"), put("A", "t3")
    stats, recs = convert(tmp_path / "o", "levir-cd", "--src", str(src), "--no-progress")
    assert recs and stats["notes"]["b_images_without_a_or_label"] == 1
    assert stats["notes"]["images_without_label"] == 1  # t3's pair


def test_synth_tasks_change_without_pairs_names_the_option_typed(tmp_path, capsys):
    """'synth --tasks change --pairs-fraction 0' was refused as 'instructions.task_weights {cls: 0, vqa: 0, …,
    change: 2}: …', a table of nine weights the user never typed; a config's weights are still shown so."""
    from data_gen.__main__ import main

    out = str(tmp_path / "o")
    assert main(["synth", "--n", "2", "--out", out, "--tasks", "change", "--pairs-fraction", "0"]) == 2
    assert capsys.readouterr().err.startswith("error: --tasks change: change is the only task with a weight > 0, "
                                              "and it needs pairs, but --pairs-fraction is 0")
    weights = "instructions.task_weights={cls: 0, vqa: 0, cap: 0, count: 0, det: 0, ground: 0, regcap: 0, seg: 0}"
    assert main(["synth", "--n", "2", "--out", out, weights, "scene.pairs_fraction=0"]) == 2
    assert f"error: override '{weights}' (command line): instructions.task_weights {{cls: 0, " in \
        capsys.readouterr().err


def test_sirst_pixel_mask_beside_its_image_is_paired_as_the_refusal_says(realdata, tmp_path, capsys):
    """SIRST's Misc_100_pixels0.png beside Misc_100.png: the refusal names --label-suffix _pixels0, and with it the
    target's [seg] outline lies in the box its VOC file gives (pixels 173-176 x 109-114: edges to 177, 115)."""
    from data_gen.convert import main

    d = realdata / "ir_sirst"
    argv = ["masks", "--images", str(d), "--labels", str(d), "--binary", "target", "--modality", "ir", "--no-progress"]
    assert main([*argv, "--out", str(tmp_path / "a")]) == 2
    assert "give --label-suffix (e.g. --label-suffix _pixels0:" in capsys.readouterr().err
    stats, recs = convert(tmp_path / "b", *argv, "--label-suffix", "_pixels0")
    (rec,) = recs
    assert stats["skipped_total"] == 0 and rec["images"][0]["modality"] == "ir"
    (ring,) = [np.asarray(o["coords"], float).reshape(-1, 2) for o in objs(rec)]  # (N, 2)
    assert np.all(ring.min(axis=0) >= [172, 108]) and np.all(ring.max(axis=0) <= [178, 116]), ring


def test_dota_and_voc_given_the_others_folder_say_which_converter_reads_it(tmp_path, capsys):
    """'convert dota' over a folder of VOC XML said 'no labelTxt files', 'convert voc' over a DOTA folder 'no .xml
    files', and no more; now each names the files it found and the converter that reads them."""
    from data_gen.convert import main

    (tmp_path / "voc").mkdir()
    (tmp_path / "voc" / "a.xml").write_text("<annotation/>")
    (tmp_path / "voc" / "a.tif.aux.xml").write_text("<PAMDataset/>")  # GDAL's sidecar: no annotation
    (tmp_path / "dota" / "labelTxt").mkdir(parents=True)
    (tmp_path / "dota" / "labelTxt" / "P1.txt").write_text("1 1 5 1 5 5 1 5 ship 0\n")
    assert main(["dota", "--src", str(tmp_path / "voc"), "--out", str(tmp_path / "o")]) == 2
    assert (f"{tmp_path / 'voc'}: no labelTxt files; it holds 1 .xml file (a.xml): VOC / DIOR annotations are "
            f"read by python -m data_gen convert voc --src {tmp_path / 'voc'}") in capsys.readouterr().err
    assert main(["voc", "--src", str(tmp_path / "dota"), "--out", str(tmp_path / "o")]) == 2
    assert (f"{tmp_path / 'dota'}: no .xml files; it holds 1 .txt file (P1.txt): if they are DOTA labelTxt files, "
            f"python -m data_gen convert dota --src {tmp_path / 'dota'} reads them") in capsys.readouterr().err


def test_rebuild_tasks_change_over_scenes_without_pairs_names_the_option_typed(tmp_path, capsys):
    """'rebuild --tasks change' over a set without pairs was refused by the instructions.task_weights table."""
    from data_gen.__main__ import main

    out = str(tmp_path / "s")
    assert main(["synth", "--n", "2", "--pairs-fraction", "0", "--modalities", "optical", "--out", out,
                 "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["rebuild", "--dir", out, "--tasks", "change", "--prefix", "x_", "--no-progress"]) == 2
    assert capsys.readouterr().err.startswith("error: --tasks change: change is the only task with a weight > 0, "
                                              "and it needs pairs, but none of the 2 scenes is one")
