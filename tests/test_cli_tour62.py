"""Tour 62: chat takes predict's --min-score (one definition), and predict and chat take --rgb-bands, the bands
an overlay draws as red, green, blue, checked against the image's bands."""

from __future__ import annotations

import numpy as np
import pytest

from rsvlm.cli import build_parser, main


@pytest.fixture(scope="module")
def msi(tmp_path_factory):
    """A 32x32 4-band Sentinel-2-like file, its path holding a space."""
    import tifffile

    path = tmp_path_factory.mktemp("img") / "s2 scene.tif"
    tifffile.imwrite(path, np.random.default_rng(2).random((4, 32, 32), dtype=np.float32) * 0.3,  # (C, H, W)
                     photometric="minisblack", planarconfig="separate")  # as RGB the 4th band is alpha
    return path


MSI = ["--modality", "msi", "--bands", "B02,B03,B04,B08"]


@pytest.mark.parametrize("command", ["chat", "predict"])
def test_min_score_and_rgb_bands_read_the_same_in_chat_and_predict(command):
    need = ["--image", "a.tif", "--task", "det"] if command == "predict" else []
    args = build_parser().parse_args([command, *need, "--min-score", "0.3", "--rgb-bands", "b08, B04,B03"])
    assert args.min_score == 0.3 and args.rgb_bands == ["b08", "B04", "B03"]


@pytest.mark.parametrize("command", ["chat", "predict"])
@pytest.mark.parametrize("option, value, said", [
    ("--min-score", "1.5", "must be in [0.0, 1.0]"),
    ("--rgb-bands", "B08,B04", "expected 3 comma-separated band names"),
    ("--rgb-bands", "VV,,VH", "expected 3 comma-separated band names"),
])
def test_a_bad_min_score_or_rgb_bands_is_a_usage_error(command, option, value, said, capsys):
    need = ["--image", "a.tif", "--task", "det"] if command == "predict" else []
    with pytest.raises(SystemExit) as e:
        main([command, *need, option, value])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert option in err and said in err, err


def test_predict_refuses_rgb_bands_the_image_lacks_before_the_model_loads(msi, tmp_path, capsys):
    missing = tmp_path / "no-model"  # never looked for: the check comes first
    code = main(["predict", "--model", str(missing), "--image", str(msi), *MSI, "--task", "det",
                 "--vis", str(tmp_path / "o.png"), "--rgb-bands", "B8A,B04,B03"])
    err = capsys.readouterr().err
    assert code == 2
    assert "--rgb-bands B8A,B04,B03: s2 scene.tif (msi) has no band 'B8A'; its bands are B02,B03,B04,B08" in err, err


def test_predict_draws_the_overlay_in_the_bands_asked(ckpt, msi, tmp_path, monkeypatch, capsys):
    import rsvlm.io

    drawn = {}
    real = rsvlm.io.draw_overlay
    monkeypatch.setattr(rsvlm.io, "draw_overlay", lambda *a, **kw: drawn.update(kw) or real(*a, **kw))
    out = tmp_path / "o.png"
    assert main(["predict", "--model", str(ckpt), "--device", "cpu", "--image", str(msi), *MSI, "--task", "det",
                 "--max-new-tokens", "3", "--vis", str(out), "--rgb-bands", "nir,red,green"]) == 0
    assert drawn["rgb_bands"] == ["nir", "red", "green"] and out.is_file()


def test_predict_says_rgb_bands_without_vis_go_unused(ckpt, msi, tmp_path, capsys):
    assert main(["predict", "--model", str(ckpt), "--device", "cpu", "--image", str(msi), *MSI, "--task", "cls",
                 "--max-new-tokens", "2", "--rgb-bands", "B08,B04,B03"]) == 0
    assert "--rgb-bands B08,B04,B03 ignored: it chooses the bands --vis draws" in capsys.readouterr().err


def scored(monkeypatch, scores=(0.01, 0.9, None)):
    """inference.locate giving a view's lone guess (0.01), a sure object (0.9) and an unscored one (None)."""
    from rsvlm import inference as inf

    boxes = [{"kind": "box", "label": "ship", "coords": [1, 1, 5, 5], **({} if s is None else {"score": s})}
             for s in scores]
    monkeypatch.setattr(inf, "locate", lambda answer, img, scores=None: {
        "answer": answer, "text": "", "objects": inf.with_map_coords([dict(b) for b in boxes], img, []), "problems": []})


def test_chat_min_score_drops_low_scored_objects_from_the_table_and_geojson(ckpt, geotiff, tmp_path, monkeypatch,
                                                                            capsys):
    import json

    from test_chat_tour54 import chat_main

    scored(monkeypatch)
    gj = tmp_path / "out.geojson"
    assert chat_main(["--model", str(ckpt), "--device", "cpu", "--image", str(geotiff), "--max-new-tokens", "3",
                      "--min-score", "0.5"], ["[det]", f"/geojson {gj}"], monkeypatch) == 0
    out = capsys.readouterr().out
    assert "note: 1 of 3 objects scored below --min-score 0.5 dropped" in out, out
    scores = [f["properties"].get("score") for f in json.loads(gj.read_text())["features"]]
    assert scores == [0.9, None], scores  # the unscored one kept: no score says nothing of its confidence


def test_chat_without_min_score_keeps_every_object(ckpt, geotiff, tmp_path, monkeypatch, capsys):
    from test_chat_tour54 import chat_main

    scored(monkeypatch)
    assert chat_main(["--model", str(ckpt), "--device", "cpu", "--image", str(geotiff), "--max-new-tokens", "3"],
                     ["[det]"], monkeypatch) == 0
    assert "dropped" not in capsys.readouterr().out


def test_chat_vis_draws_rgb_bands_and_says_when_an_image_lacks_them(ckpt, msi, geotiff, tmp_path, monkeypatch,
                                                                    capsys):
    from test_chat_tour54 import chat_main

    import rsvlm.io

    scored(monkeypatch)
    drawn = []
    monkeypatch.setattr(rsvlm.io, "draw_overlay", lambda img, objects, out, **kw: drawn.append(kw["rgb_bands"]))
    assert chat_main(["--model", str(ckpt), "--device", "cpu", "--image", str(msi), *MSI, "--max-new-tokens", "3",
                      "--rgb-bands", "B08,B04,B03"],
                     ["[det]", f"/vis {tmp_path / 'a.png'}", f"/image {geotiff}", "[det]", f"/vis {tmp_path / 'b.png'}"],
                     monkeypatch) == 0
    out = capsys.readouterr().out
    assert drawn == [["B08", "B04", "B03"], None], drawn
    assert "note: --rgb-bands B08,B04,B03: scene.tif (optical) has no band 'B08'; its bands are R,G,B: drawn in " \
           "its own colours" in out, out


def test_chat_refuses_rgb_bands_its_image_lacks_before_the_model_loads(msi, tmp_path, monkeypatch, capsys):
    from test_chat_tour54 import chat_main

    assert chat_main(["--model", str(tmp_path / "no-model"), "--image", str(msi), *MSI, "--rgb-bands", "VV,VH,VV"],
                     [], monkeypatch) == 2
    err = capsys.readouterr().err
    assert "rsvlm chat: --rgb-bands VV,VH,VV: s2 scene.tif (msi) has no band 'VV', 'VH'" in err, err
    assert "loading model" not in err


def test_chat_vis_says_min_score_dropped_every_object(ckpt, geotiff, tmp_path, monkeypatch, capsys):
    """A --tta chat's 21 fused boxes all below --min-score 0.3: /vis said "no geometry in the last answer"."""
    from test_chat_tour54 import chat_main

    scored(monkeypatch, (0.01, 0.2))
    assert chat_main(["--model", str(ckpt), "--device", "cpu", "--image", str(geotiff), "--max-new-tokens", "3",
                      "--min-score", "0.3"], ["[det]", f"/vis {tmp_path / 'o.png'}"], monkeypatch) == 0
    out = capsys.readouterr().out
    assert "no geometry left in the last answer: its 2 objects all scored below --min-score 0.3" in out, out
    assert (tmp_path / "o.png").is_file()  # the image alone, as predict --vis draws it (stop 68: was refused)


def test_chat_vis_takes_the_bands_to_draw(ckpt, msi, tmp_path, monkeypatch, capsys):
    """``/vis o.png B08,B04,B03`` was "takes one path, got 2 words …: put quotes around a path with spaces"."""
    from test_chat_tour54 import chat_main

    import rsvlm.io

    scored(monkeypatch)
    drawn = []
    monkeypatch.setattr(rsvlm.io, "draw_overlay", lambda img, objects, out, **kw: drawn.append(kw["rgb_bands"]))
    assert chat_main(["--model", str(ckpt), "--device", "cpu", "--image", str(msi), *MSI, "--max-new-tokens", "3"],
                     ["[det]", f"/vis {tmp_path / 'a.png'} nir,red,green", f"/vis {tmp_path / 'b.png'} VV,VH,VV",
                      f"/vis {tmp_path / 'c.png'}", f"/vis {tmp_path / 'my'} a,b,c.png", f"/vis {tmp_path / 'd.png'} B08,B04"],
                     monkeypatch) == 1  # piped, lines failed: said, status 1
    out = capsys.readouterr().out
    assert drawn == [["nir", "red", "green"], None], drawn
    assert f"error: /vis {tmp_path / 'b.png'} VV,VH,VV: s2 scene.tif (msi) has no band 'VV', 'VH'; its bands are " \
           "B02,B03,B04,B08" in out, out
    assert "error: /vis takes one path, got 2 words" in out, out  # a name with a space and commas, unquoted
    assert f"error: /vis {tmp_path / 'd.png'} B08,B04: give 3 band names, comma-separated (B08,B04,B03)" in out, out


@pytest.mark.parametrize("option, example", [("--out", "result.json"), ("--geojson", "answer.geojson"),
                                             ("--vis", "overlay.png")])
def test_predict_refuses_an_output_ending_with_a_slash(geotiff, tmp_path, option, example, capsys):
    """``--out results/`` (results missing) wrote a file named results; ``--vis v/`` said "--vis v: unknown
    image extension"."""
    folder = f"{tmp_path / 'results'}/"
    assert main(["predict", "--model", str(tmp_path / "no-model"), "--image", str(geotiff), "--task", "det",
                 option, folder]) == 2
    err = capsys.readouterr().err
    assert f"{option} {folder}: ends with '/', so it names a folder; give a file name in it, e.g. {folder}{example}" \
           in err, err
    assert not (tmp_path / "results").exists()


def test_chat_refuses_a_geojson_or_vis_ending_with_a_slash(ckpt, geotiff, tmp_path, monkeypatch, capsys):
    from test_chat_tour54 import chat_main

    scored(monkeypatch)
    folder = f"{tmp_path / 'results'}/"
    assert chat_main(["--model", str(ckpt), "--device", "cpu", "--image", str(geotiff), "--max-new-tokens", "3"],
                     ["[det]", f"/geojson {folder}", f"/vis {folder}"], monkeypatch) == 1  # lines failed
    out = capsys.readouterr().out
    assert f"error: /geojson {folder}: ends with '/', so it names a folder; give a file name in it, e.g. " \
           f"{folder}out.geojson" in out, out
    assert f"error: /vis {folder}: ends with '/'" in out, out
    assert not (tmp_path / "results").exists()


def test_check_out_refuses_a_typed_out_ending_with_a_slash(tmp_path):
    """``rsvlm eval --out preds/`` wrote a file named preds; check_out takes --out as typed to see the '/'."""
    from rsvlm.predictions import check_out

    data = tmp_path / "t.jsonl"
    data.write_text('{"id": "a", "image": "h.png", "conversations": [{"from": "human", "value": "<image>\\n[cls] '
                    'What?"}, {"from": "gpt", "value": "harbour"}]}\n')
    typed = f"{tmp_path / 'preds'}/"
    assert check_out(data, typed) == (f"--out {typed}: ends with '/', so it names a folder; give a file name in it, "
                                      f"e.g. {typed}predictions.jsonl")
    assert check_out(data, str(tmp_path / "preds.jsonl")) is None
    assert not (tmp_path / "preds").exists()


def test_chat_reads_a_first_line_opening_with_a_byte_order_mark(ckpt, geotiff):
    """A questions file saved as "UTF-8 with BOM" and piped in: its first line, /image …, was asked as a question."""
    from test_predict_edges import chat_repl

    repl, out = chat_repl(ckpt)
    assert repl.handle(f"\ufeff/image {geotiff}")
    assert out.getvalue().startswith("loaded scene.tif"), out.getvalue()


def test_piped_lines_with_windows_line_ends_echo_without_a_carriage_return(ckpt, monkeypatch, capsys):
    from test_chat_tour54 import chat_main

    assert chat_main(["--model", str(ckpt), "--device", "cpu"], ["/reset\r", "/help\r"], monkeypatch) == 0
    out = capsys.readouterr().out
    assert "/reset\n" in out and "\r" not in out, repr(out[:300])


def test_chat_vis_refuses_to_overwrite_a_loaded_image_whose_name_holds_a_comma(ckpt, geotiff, tmp_path, monkeypatch,
                                                                             capsys):
    """Band files are ", "-joined in an RSImage's path: "a, b.png" was taken for files a and b.png, and /vis
    over it overwrote the image asked about."""
    from PIL import Image
    from test_chat_tour54 import chat_main

    scored(monkeypatch)
    img = tmp_path / "a, b.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (32, 32, 3), dtype=np.uint8)).save(img)
    before = img.read_bytes()
    assert chat_main(["--model", str(ckpt), "--device", "cpu", "--max-new-tokens", "3"],
                     [f"/image '{img}'", "[det]", f"/vis '{img}'"], monkeypatch) == 1  # /vis failed
    out = capsys.readouterr().out
    assert f"error: {img} is a loaded image: it would be overwritten" in out, out
    assert img.read_bytes() == before
