"""Chat, predict and the shared inference helpers, third tour: limits both commands share, and
odd but legitimate input."""

from pathlib import Path

import numpy as np
import pytest
from test_predict_edges import chat_repl

from rsvlm import inference as inf
from rsvlm import tables

REPO = Path(__file__).resolve().parents[1]


def test_chat_and_predict_share_one_table_limit_and_chat_cuts_long_problem_lists(ckpt, geotiff, monkeypatch):
    """TABLE_ROWS was defined in chat and predict each; one in rsvlm.tables governs both, and chat's
    problems (printed all, hundreds from a long free-decoded answer) are cut like predict's."""
    from rsvlm import chat, predict, tables

    assert not hasattr(chat, "TABLE_ROWS") and not hasattr(predict, "TABLE_ROWS")
    monkeypatch.setattr(tables, "TABLE_ROWS", 2)
    boxes = [{"kind": "box", "label": "ship", "coords": [i, i, i + 5, i + 5]} for i in range(5)]
    monkeypatch.setattr(inf, "locate", lambda answer, img, scores=None: {
        "answer": answer, "text": answer, "objects": boxes, "problems": [f"bad {i}" for i in range(5)]})
    repl, out = chat_repl(ckpt)
    assert repl.load_image([str(geotiff)])
    repl.ask("[det] Detect every ship.")
    said = out.getvalue()
    assert len([line for line in said.splitlines() if "  ship  " in line]) == 2
    assert "… and 3 more objects, not shown (/geojson writes them all)" in said
    assert "problem: bad 1" in said and "problem: bad 2" not in said and "… and 3 more problems, not shown" in said


def test_no_benchmark_imports_another_only_the_shared_bench_common():
    """det_decoding took absolute_paths from bench/tta.py and count_assay ten helpers from
    ground_assay: a benchmark's edit broke another. What they share is in bench/common.py."""
    import ast

    bench = REPO / "bench"
    scripts = {p.stem for p in bench.glob("*.py")} - {"common"}
    crossed = []
    for path in sorted(bench.glob("*.py")):
        try:
            tree = ast.parse(path.read_text())
        except SyntaxError:  # a file someone is writing: not what this test checks
            continue
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            crossed += [f"{path.name} imports {n}" for n in names if n and n.split(".")[0] in scripts]
    assert scripts >= {"tta", "det_decoding", "ground_assay", "count_assay"} and crossed == []


def test_bench_common_resolves_record_paths_and_dashes_missing_figures(tmp_path, monkeypatch):
    from script_loader import load_bench

    common = load_bench("common", monkeypatch)
    rec = {"images": [{"path": "a.tif"}, {"band_files": ["b/B02.tif", "b/B03.tif"]}]}
    common.absolute_paths(rec, tmp_path)
    assert rec["images"][0]["path"] == str(tmp_path / "a.tif")
    assert rec["images"][1]["band_files"] == [str(tmp_path / "b" / f"B0{i}.tif") for i in (2, 3)]
    assert [common.fmt(x) for x in (None, float("nan"), 0.25)] == ["–", "–", "0.250"]  # det_decoding printed 'nan'


def test_no_module_imports_a_private_name_of_chat_predict_inference_the_geometry_grammar_or_a_test():
    """tests imported rsvlm.predict._jsonable, and test_chat_history test_predict_edges' _repl and
    _predict: a helper others use is public (``jsonable``, ``chat_repl``, ``predict_det``). It missed
    ``from tests.test_foo import _bar``, through which five private helpers were shared (``_dota``, ``_argv``...),
    and ``import test_foo as t; t._bar`` (``lv._inputs``, ``tour72._devkit_map``)."""
    import ast

    ours = {"rsvlm.chat", "rsvlm.predict", "rsvlm.inference", "rsvlm.model.grammar", "rsvlm.geometry",
            "rsvlm.geometry.codec", "rsvlm.geometry.grid", "rsvlm.geometry.masks", "rsvlm.geometry.shapes"}
    found = []

    def private(name: str) -> bool:
        return name.startswith("_") and not name.startswith("__")

    for folder in ("rsvlm", "eval", "bench", "scripts", "data_gen", "tests"):
        for path in sorted((REPO / folder).rglob("*.py")):
            try:
                tree = ast.parse(path.read_text())
            except SyntaxError:  # a file someone is writing: not what this test checks
                continue
            bound = set()  # the names a test module is bound to here: ``import test_x as t``, ``from tests import …``
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    bound |= {a.asname or a.name for a in node.names if a.name.split(".")[-1].startswith("test_")}
                if not isinstance(node, ast.ImportFrom):
                    continue
                module = node.module or ""  # ``from . import x`` has none
                if module == "tests":
                    bound |= {a.asname or a.name for a in node.names if a.name.startswith("test_")}
                if module in ours or module.startswith(("test_", "tests.test_")):
                    found += [f"{path.name}: {module}.{a.name}" for a in node.names if private(a.name)]
            found += [f"{path.name}: {ast.unparse(node)}" for node in ast.walk(tree) if isinstance(node, ast.Attribute)
                      and private(node.attr) and ast.unparse(node.value) in bound]  # t._helper
    assert found == []
    from rsvlm.predict import jsonable

    assert jsonable({"n": np.int64(3), "mask": np.eye(2, dtype=bool)}) == {"n": 3, "mask": {"size": [2, 2], "counts": [0, 1, 2, 1]}}


@pytest.mark.parametrize("prompt", ["", "   "])
def test_an_empty_prompt_is_refused_not_swapped_for_the_standard_question(geotiff, tmp_path, capsys, prompt):
    """``--prompt "$Q"`` with Q unset asked the task's standard question without a word."""
    from rsvlm.cli import main

    rc = main(["predict", "--model", str(tmp_path / "no-model"), "--image", str(geotiff), "--task", "det",
               "--prompt", prompt])
    err = capsys.readouterr().err
    assert rc == 2 and "--prompt is empty" in err and "[det] Detect every object." in err and "no-model" not in err


def test_an_image_whose_name_holds_a_comma_is_one_file_not_two_band_files(ckpt, geotiff, tmp_path, capsys):
    """``--image "scene,2020.tif"`` was split into band files: 'image not found: …/scene'."""
    import shutil

    from rsvlm.cli import main

    named = tmp_path / "scene,2020.tif"
    shutil.copy(geotiff, named)
    assert inf.ImageSpec.parse(str(named)).files == [str(named)]
    assert inf.ImageSpec.parse(f"{tmp_path}/B02.tif, {tmp_path}/B03.tif").files == [f"{tmp_path}/B02.tif",
                                                                                   f"{tmp_path}/B03.tif"]
    assert main(["predict", "--model", str(ckpt), "--image", str(named), "--task", "cls", "--max-new-tokens", "2",
                 "--device", "cpu"]) == 0
    repl, out = chat_repl(ckpt)
    assert repl.load_image([str(named)]) and "loaded scene,2020.tif: 96x64" in out.getvalue()


def test_chat_image_with_words_past_its_bands_or_an_unquoted_spaced_path_says_so(ckpt, geotiff, tmp_path):
    """``/image a.tif sar VV extra`` dropped 'extra' unsaid; ``/image my scene.tif`` read 'scene.tif'
    as band names and said only 'image not found: my'."""
    import shutil

    spaced = tmp_path / "my scene.tif"
    shutil.copy(geotiff, spaced)
    repl, out = chat_repl(ckpt)
    assert repl.handle(f"/image {geotiff} optical R,G,B extra")  # the session goes on
    assert "got 4 words" in out.getvalue() and not repl.images
    repl.handle(f"/image {spaced}")
    assert "put quotes around a path with spaces" in out.getvalue() and not repl.images
    repl.handle(f'/image "{spaced}" optical')
    assert len(repl.images) == 1 and "loaded my scene.tif" in out.getvalue()
    repl.handle("/help")
    assert '"quotes" around a path with spaces' in out.getvalue()


def _tif(path, side, pixel_m):
    import rasterio
    from rasterio.transform import from_origin

    data = np.random.default_rng(side).integers(0, 255, (3, side, side), dtype=np.uint8)  # (C,H,W)
    with rasterio.open(path, "w", driver="GTiff", width=side, height=side, count=3, dtype="uint8",
                       crs="EPSG:32631", transform=from_origin(500000.0, 4000000.0, pixel_m, pixel_m)) as ds:
        ds.write(data)
    return path


def test_a_pair_read_shrunk_is_compared_on_the_ground_its_whole_scene_covers(tmp_path):
    """A scene read shrunk (over READ_MAX_SIDE) keeps its transform: its footprint was taken from the
    shrunk width, a quarter of its ground, and a pair over the same ground was said to overlap 25 %."""
    fine = inf.read_spec(inf.ImageSpec([str(_tif(tmp_path / "fine.tif", 200, 0.5))]), max_side=100)
    coarse = inf.read_spec(inf.ImageSpec([str(_tif(tmp_path / "coarse.tif", 100, 1.0))]), max_side=100)
    assert (fine.width, inf.scene_wh(fine)) == (100, (200, 200))  # read shrunk
    notes = inf.pair_notes(fine, coarse)
    assert not any("different ground" in n for n in notes) and any("differs in size" in n for n in notes)
    half = inf.read_spec(inf.ImageSpec([str(_tif(tmp_path / "half.tif", 100, 0.5))]), max_side=100)
    assert any("overlap 25 %" in n for n in inf.pair_notes(fine, half))  # a quarter of the ground: still said


def test_a_model_path_that_is_missing_or_a_file_says_which(ckpt, tmp_path):
    """Both read 'not an rsvlm checkpoint (no config.yaml)': for the checkpoint's own config.yaml too."""
    with pytest.raises(FileNotFoundError, match=r"none: not an rsvlm checkpoint \(no such folder\)"):
        inf.resolve_model_dir(str(tmp_path / "none"))
    with pytest.raises(FileNotFoundError, match=rf"a file; a checkpoint is a folder: give its folder, {ckpt}\)"):
        inf.resolve_model_dir(str(ckpt / "config.yaml"))
    (tmp_path / "w.safetensors").write_bytes(b"")
    with pytest.raises(FileNotFoundError, match=r"w.safetensors: not an rsvlm checkpoint \(a file; a checkpoint is a folder\)"):
        inf.resolve_model_dir(str(tmp_path / "w.safetensors"))
    assert inf.resolve_model_dir(str(ckpt)) == ckpt


def test_the_object_table_says_where_a_mask_is():
    """A mask's row read "mask" and nothing more: no hint where in the image it lies."""
    from rsvlm import geometry

    text = "<ref>water</ref><mask><grid><loc_100><loc_100><loc_300><loc_300><loc_2><loc_2></grid><row><loc_0><loc_2><row><loc_2></mask>"  # top row on
    (row,) = tables.objects_table(geometry.decode(text, 96, 64).objects).splitlines()[1:]
    # the box around its pixels (the grid's top row), the box the map column maps; its grid's box (9.6,6.4)
    # (28.9,19.3) had been shown, another rectangle than the map column's in the same row
    assert row.split()[1:3] == ["water", "mask"] and row.endswith("in (10.0,6.0) (29.0,13.0)"), row
    from rsvlm.io.georef import _pixel_points

    assert _pixel_points(geometry.decode(text, 96, 64).objects[0])[::2] == [[10, 6], [29, 13]]
    assert tables.objects_table([{"kind": "mask", "label": None, "coords": {}}]).splitlines()[1].endswith("mask")
    empty = {"kind": "mask", "label": "w", "coords": {"box": [0, 0, 10, 10], "size": [2, 2], "rows": [[2], [2]]}}
    assert tables.objects_table([empty]).splitlines()[1].endswith("no pixels")  # every cell off


def test_chat_refuses_a_third_image_on_the_command_line_before_loading_the_model(geotiff, tmp_path, capsys):
    """Three --image made a pair of the first two, then dropped it for the third (a note among the
    loading lines); a bad --modality count was found only after the model loaded."""
    from rsvlm.cli import main

    missing = tmp_path / "no-model"
    assert main(["chat", "--model", str(missing), *["--image", str(geotiff)] * 3]) == 2
    err = capsys.readouterr().err
    assert "3 --image given; a chat is about one image or a bi-temporal pair" in err and "no-model" not in err
    assert main(["chat", "--model", str(missing), "--image", str(geotiff), "--image", str(geotiff),
                 "--modality", "sar", "--modality", "sar", "--modality", "sar"]) == 2
    assert "3 --modality values for 2 --image" in capsys.readouterr().err


def test_modality_is_taken_in_any_case():
    """predict refused `--modality SAR` (argparse choices are lower case) while chat's /image took it."""
    from rsvlm.cli import build_parser

    args = build_parser().parse_args(["predict", "--image", "x.tif", "--modality", "SAR", "--task", "cls"])
    assert args.modality == ["sar"]
