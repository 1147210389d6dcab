"""Tour 78 (D) of the converters: ``masks`` pairs a label with its image in another case where one image alone so
matches, and refuses, naming them, where two differ only in case."""

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from data_gen.__main__ import main


def stats_of(*argv) -> dict:
    out = argv[argv.index("--out") + 1]
    main(["convert", *argv, "--no-progress"])
    with open(f"{out}/stats.json") as f:
        return json.load(f)


def scene(h: int = 64, w: int = 64) -> np.ndarray:
    """(h, w, 3) uint8 textured ground, 60-200: no black or white."""
    return np.random.default_rng(7).integers(60, 200, (h, w, 3)).astype(np.uint8)


def cased_folders(tmp_path, images: list[str], label: str):
    """``tmp_path``/i holding ``images`` (scenes), ``tmp_path``/l the label ``label`` (a 0/255 building mask)."""
    (tmp_path / "i").mkdir()
    (tmp_path / "l").mkdir()
    for name in images:
        Image.fromarray(scene()).save(tmp_path / "i" / name)
    mask = np.zeros((64, 64), np.uint8)
    mask[10:30, 12:40] = 255
    Image.fromarray(mask).save(tmp_path / "l" / label)
    return ["masks", "--images", str(tmp_path / "i"), "--labels", str(tmp_path / "l"), "--binary", "building",
            "--out", str(tmp_path / "o")]


def test_a_label_pairs_with_the_one_image_of_its_stem_in_another_case(tmp_path):
    """``X_MASK.png`` beside ``x.png`` (a Windows export) was missing_image: no record, and the run refused."""
    stats = stats_of(*cased_folders(tmp_path, ["x.png"], "X_MASK.png"))
    assert stats["records"] == 1 and stats["skipped"] == {}, stats
    assert stats["notes"]["image_name_case_differs"] == 1, stats
    assert "X_MASK.png: paired with x.png" in json.dumps(stats["notes_examples"]), stats


def test_the_image_of_the_labels_own_case_wins_over_another(tmp_path):
    stats = stats_of(*cased_folders(tmp_path, ["x.png", "X.png"], "X_MASK.png"))
    assert stats["records"] == 1 and "image_name_case_differs" not in stats["notes"], stats
    assert stats["notes_examples"]["images_without_label"].endswith("/x.png"), stats


def test_two_images_differing_only_in_case_are_refused_naming_both(tmp_path, capsys):
    argv = cased_folders(tmp_path, ["ab.png", "AB.png"], "Ab_mask.png")
    try:
        stats_of(*argv)
    except SystemExit:
        pass
    stats = json.loads((tmp_path / "o" / "stats.json").read_text())
    assert stats["records"] == 0 and stats["skipped"] == {"image_name_case_ambiguous": 1}, stats
    said = json.dumps(stats) + capsys.readouterr().err
    assert "ab.png" in said and "AB.png" in said and "Ab_mask.png" in said, said


def lone_image(folder, name: str = "a.png"):
    folder.mkdir(parents=True, exist_ok=True)
    Image.fromarray(scene()).save(folder / name)
    return folder


def lone_image_argv(t, fmt: str) -> list[str]:
    """The inputs of ``fmt`` under ``t``: one image (a.png), and no label file (an empty label folder where it has one)."""
    if fmt == "dota":
        (t / "labelTxt").mkdir()
        return ["--src", str(lone_image(t / "images").parent)]
    if fmt == "dota flat":
        return ["--src", str(lone_image(t / "s"))]
    if fmt in ("voc", "masks"):
        (t / "l").mkdir()
        return (["--src", str(t / "l"), "--images", str(lone_image(t / "i"))] if fmt == "voc" else
                ["--images", str(lone_image(t / "i")), "--labels", str(t / "l"), "--binary", "building"])
    if fmt == "levir-cd":
        lone_image(t / "B")
        return ["--src", str(lone_image(t / "A").parent)]
    (t / "c.json").write_text(json.dumps({"images": [], "annotations": [], "categories": [{"id": 1, "name": "ship"}]}))
    return ["--ann", str(t / "c.json"), "--images", str(lone_image(t / "i"))]


@pytest.mark.parametrize("fmt", ["dota", "dota flat", "voc", "masks", "levir-cd", "coco"])
def test_a_lone_image_whose_label_is_missing_is_counted_and_named(tmp_path, capsys, fmt):
    """An image whose one label file is missing was "no labelTxt files" of the label folder alone (COCO: "nothing to
    convert"): the image, the one thing there, went unnamed."""
    argv = lone_image_argv(tmp_path, fmt)
    assert main(["convert", fmt.split()[0], *argv, "--out", str(tmp_path / "o"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    said = {"coco": "images_without_label: ", "levir-cd": "2 images (1 distinct name) under "}.get(fmt, "1 image under ")
    assert said in err and "a.png" in err, err


def smooth_scene(rng, h: int = 200, w: int = 240) -> np.ndarray:
    """(h, w, 3) uint8 smooth ground 40-220 with a little noise: JPEG-like content, no black or white."""
    from scipy import ndimage

    base = ndimage.gaussian_filter(rng.normal(0, 1, (h, w, 3)), (6, 6, 0))
    base = (base - base.min()) / (np.ptp(base) + 1e-9)
    return (40 + 180 * base + rng.normal(0, 6, (h, w, 3))).clip(0, 255).astype(np.uint8)


@pytest.mark.parametrize("quality", [1, 10, 20, 25, 50, 53, 75, 90, 100])
def test_a_flat_jpeg_blocks_level_is_read_from_its_quantisation_table(tmp_path, quality):
    from data_gen.convert.collar import jpeg_flat_levels

    for name, fill in (("b.jpg", 0), ("w.jpg", 255)):
        Image.fromarray(np.full((16, 24, 3), fill, np.uint8)).save(tmp_path / name, quality=quality)
    decoded = (int(np.asarray(Image.open(tmp_path / "b.jpg")).max()), int(np.asarray(Image.open(tmp_path / "w.jpg")).min()))
    assert jpeg_flat_levels(tmp_path / "b.jpg")[0] == decoded[0] and jpeg_flat_levels(tmp_path / "w.jpg")[1] == decoded[1]


def test_a_white_jpeg_collar_at_quality_20_is_said(tmp_path):
    """White decodes to 253 at quality 20 (DC step 40): every such collar was missed (20 of 20 scenes)."""
    from data_gen import tiling

    im = Image.fromarray(smooth_scene(np.random.default_rng(0))).rotate(20, expand=True, fillcolor=(255, 255, 255))
    im.save(tmp_path / "r.jpg", quality=20)
    found = tiling.constant_border(tmp_path / "r.jpg")
    assert found is not None and found[0] == (253, 253, 253) and found[1] > 0.1 * found[2], found


def test_a_0_to_3_shadow_at_quality_90_is_no_collar(tmp_path):
    """A shadow of 0-3 along the edge decodes mostly 0 or 1 at quality 90; 1 passed as black (5 of 20 scenes)."""
    from data_gen import tiling

    found = []
    for seed in range(20):
        rng = np.random.default_rng(seed)
        a = smooth_scene(rng)
        a[:, :60] = rng.integers(0, 4, (a.shape[0], 60, 3))
        Image.fromarray(a).save(tmp_path / f"s{seed}.jpg", quality=90)
        found += [seed] if tiling.constant_border(tmp_path / f"s{seed}.jpg") is not None else []
    assert found == [], found


def test_the_image_lookup_moved_out_of_common_still_imports_from_it():
    from data_gen.convert import common, lookup

    for name in ("index_images", "note_unlabelled", "find_image", "by_lower_case", "in_any_case"):
        assert getattr(common, name) is getattr(lookup, name), name


@pytest.mark.parametrize("fmt, argv, task, script, key", [
    ("dota", ["--src", "obb_dota"], "det", "detection", "mAP50_obb"),
    ("masks", ["--images", "sar_hrsid", "--labels", "sar_hrsid", "--preset", "hrsid", "--modality", "sar"], "seg",
     "segmentation", "mIoU"),
    ("levir-cd", ["--src", "cd_levir"], "change", "change", "F1"),
])
def test_a_real_samples_records_score_perfect_against_themselves(tmp_path, realdata, monkeypatch, fmt, argv, task,
                                                                 script, key):
    """The documented example run on the real sample, its answers scored as predictions of itself: any score short
    of 1 is a converter, codec or scorer fault (tour 78 found none)."""
    import subprocess
    import sys

    monkeypatch.chdir(realdata)
    assert main(["convert", fmt, *argv, "--out", str(tmp_path / "o"), "--no-progress"]) == 0
    recs = [json.loads(line) for line in (tmp_path / "o" / "records.jsonl").read_text().splitlines()]
    gt = [r for r in recs if r["task"] == task]
    (tmp_path / "gt.jsonl").write_text("".join(json.dumps(r) + "\n" for r in gt))
    (tmp_path / "pred.jsonl").write_text("".join(json.dumps({"id": r["id"], "task": task, "answer":
                                                             r["conversations"][-1]["value"]}) + "\n" for r in gt))
    subprocess.run([sys.executable, "-m", f"eval.{script}", "--gt", str(tmp_path / "gt.jsonl"), "--pred",
                    str(tmp_path / "pred.jsonl"), "--image-root", str(tmp_path / "o"), "--out",
                    str(tmp_path / "s.json")], check=True, capture_output=True, cwd=Path(__file__).parents[1])
    got = json.loads((tmp_path / "s.json").read_text())[key]
    assert len(gt) > 0 and (got == 1.0 if fmt == "dota" else got == pytest.approx(1.0, abs=1e-9)), (len(gt), got)
