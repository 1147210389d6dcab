"""Tour 78 (D) of the converters: ``masks`` pairs a label with its image in another case where one image alone so
matches, and refuses, naming them, where two differ only in case."""

import json

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
    said = "images_without_label: " if fmt == "coco" else "1 image under "
    assert said in err and "a.png" in err, err
