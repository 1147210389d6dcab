"""rsvlm chat, tour 74 (round 2): a piped chat whose lines failed says which and exits 1; /vis labels an unlabelled
object as the table does and names the bands it draws; the nodata note comes before --min-score's, as in predict;
/vis writes nothing into a read-only folder, root or not."""

import io
import json
import os
import sys

import numpy as np
import pytest

GEO = ["--device", "cpu", "--max-new-tokens", "2"]


def _chat(ckpt, geotiff, lines, monkeypatch) -> int:
    from test_chat_tour54 import chat_main

    return chat_main(["--model", str(ckpt), "--image", str(geotiff), *GEO], lines, monkeypatch)


def test_a_piped_chat_whose_lines_failed_names_them_and_exits_1(ckpt, geotiff, tmp_path, monkeypatch, capsys):
    # was status 0 whatever failed: a script could not tell a /vis that wrote nothing from one that wrote
    lines = ["[cls] scene?", "/image nothere.tif", "", "/frob", "/vis", f"/vis {tmp_path / 'ok.png'}",
             "[change] what changed?", "/geojson " + "x" * 60 + ".geojson/", "/vis a.txt"]
    assert _chat(ckpt, geotiff, lines, monkeypatch) == 1
    said = capsys.readouterr()
    assert (tmp_path / "ok.png").is_file() and "wrote " in said.out
    last = said.err.strip().splitlines()[-1]
    assert last == ("rsvlm chat: 6 of 9 lines read failed: line 2 (/image nothere.tif), line 4 (/frob), line 5 (/vis), "
                    "line 7 ([change] what changed?), line 8 (/geojson xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…) and 1 more"), last
    assert "failed" not in said.out  # the conversation is stdout's; the summary stderr's


def test_a_piped_chat_with_no_failed_line_exits_0_unsaid(ckpt, geotiff, tmp_path, monkeypatch, capsys):
    assert _chat(ckpt, geotiff, ["[cls] scene?", "", "/help", f"/vis {tmp_path / 'v.png'}", "quit", "/reset"],
                 monkeypatch) == 0  # "quit" alone is said not to be asked: no failure
    assert "failed" not in capsys.readouterr().err


def test_quit_ends_a_piped_chat_with_its_failed_lines_said(ckpt, geotiff, monkeypatch, capsys):
    assert _chat(ckpt, geotiff, ["/image a.tif nosuchmodality", "/quit", "[cls] never read"], monkeypatch) == 1
    assert capsys.readouterr().err.strip().endswith("1 of 2 lines read failed: line 1 (/image a.tif nosuchmodality)")


def test_an_interactive_chat_still_exits_0_after_an_error(ckpt, geotiff, monkeypatch, capsys):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr(sys, "stdin", Terminal())
    assert _chat(ckpt, geotiff, ["/image nothere.tif", "/frob"], monkeypatch) == 0  # the user saw each error
    said = capsys.readouterr()
    assert "error: image not found: nothere.tif" in said.out and "failed" not in said.err


def _image(data, modality, bands):
    from rsvlm.io import RSImage

    return RSImage(data=np.asarray(data, np.float32), modality=modality, bands=bands, path="synthetic")


@pytest.fixture
def drawn_text(monkeypatch):
    """Every text the overlay draws (labels, legend, title lines), in order."""
    from PIL import ImageDraw

    texts, real = [], ImageDraw.ImageDraw.text

    def text(self, xy, words, *a, **kw):
        texts.append(words)
        return real(self, xy, words, *a, **kw)

    monkeypatch.setattr(ImageDraw.ImageDraw, "text", text)
    return texts


def test_an_unlabelled_object_is_drawn_with_its_score_alone_as_the_table_gives_no_label(tmp_path, drawn_text):
    # was "box 0.06" over the box while the table's label column said "-": the kind read as a class
    from rsvlm.io import draw_overlay
    from rsvlm.tables import objects_table

    objects = [{"kind": "box", "coords": [2, 2, 30, 30], "score": 0.06},
               {"kind": "box", "coords": [40, 40, 60, 60]},  # neither: no label at all
               {"kind": "poly", "label": "ship", "coords": [[70, 5], [90, 5], [90, 25]], "score": 0.9}]
    draw_overlay(_image(np.full((3, 100, 100), 0.5), "optical", ["R", "G", "B"]), objects, tmp_path / "o.png")
    assert drawn_text == ["ship 0.90", "0.06"], drawn_text
    rows = objects_table(objects).splitlines()
    assert rows[1].split()[1:4] == ["-", "box", "0.06"] and rows[2].split()[1:3] == ["-", "box"]


def test_an_overlay_in_named_bands_says_which_bands_it_drew(tmp_path, drawn_text):
    from rsvlm.io import draw_overlay, draw_pair_overlay

    s2 = _image(np.random.default_rng(0).random((4, 40, 40)) * 0.3, "msi", ["B02", "B03", "B04", "B08"])
    draw_overlay(s2, [], tmp_path / "fc.png", title="[det] ships", rgb_bands=["b08", "nir", "B03"])
    assert drawn_text == ["[det] ships", "drawn in B08,B08,B03 as red, green, blue"], drawn_text  # the file's names
    drawn_text.clear()
    draw_overlay(s2, [], tmp_path / "tc.png", title="[det] ships")  # its own colours: nothing to name
    assert drawn_text == ["[det] ships"]
    drawn_text.clear()
    draw_pair_overlay(s2, s2, [], tmp_path / "pair.png", rgb_bands="B08,B04,B03")  # no title of the caller's
    assert drawn_text[-1] == "drawn in B08,B04,B03 as red, green, blue", drawn_text


def test_chats_vis_names_the_bands_it_drew(ckpt, tmp_path, drawn_text):
    import tifffile
    from test_predict_edges import chat_repl

    path = tmp_path / "s2.tif"
    tifffile.imwrite(path, np.random.default_rng(2).random((4, 32, 32), dtype=np.float32) * 0.3,
                     photometric="minisblack", planarconfig="separate")
    repl, out = chat_repl(ckpt)
    assert repl.load_image([str(path), "msi", "B02,B03,B04,B08"])
    repl.handle("[cls] scene?")
    repl.handle(f"/vis {tmp_path / 'fc.png'} b08,b04,b03")
    assert f"wrote {tmp_path / 'fc.png'}" in out.getvalue(), out.getvalue()
    assert "drawn in B08,B04,B03 as red, green, blue" in drawn_text, drawn_text


def _collar_tif(path):
    """A 200 px RGB GeoTIFF whose left half is nodata (0, declared)."""
    import rasterio
    from rasterio.transform import from_origin

    data = np.zeros((3, 200, 200), np.uint8)
    data[:, :, 100:] = 120 + (np.arange(100) % 50).astype(np.uint8)
    with rasterio.open(path, "w", driver="GTiff", width=200, height=200, count=3, dtype="uint8", nodata=0,
                       crs="EPSG:32618", transform=from_origin(500000, 4000000, 10, 10)) as ds:
        ds.write(data)
    return path


def test_chat_says_the_nodata_note_before_the_min_score_note_as_predict_does(ckpt, tmp_path, monkeypatch, capsys):
    from test_predict_edges import chat_repl

    from rsvlm import inference as inf
    from rsvlm.cli import main

    boxes = [{"kind": "box", "label": "ship", "coords": [10, 10, 40, 40], "score": 0.5},  # on the collar
             {"kind": "box", "label": "ship", "coords": [120, 10, 150, 40], "score": 0.1}]  # below --min-score
    real = inf.locate
    monkeypatch.setattr(inf, "locate", lambda text, img, scores: {**real(text, img, scores), "objects": list(boxes)})
    image = _collar_tif(tmp_path / "collar.tif")
    assert main(["predict", "--model", str(ckpt), "--image", str(image), "--modality", "optical", "--task", "det",
                 "--max-new-tokens", "2", "--device", "cpu", "--min-score", "0.3", "--out", str(tmp_path / "r.json")]) == 0
    predicted = "\n".join(json.loads((tmp_path / "r.json").read_text())["notes"])  # stderr's and stdout's, in order
    repl, out = chat_repl(ckpt, min_score=0.3)
    assert repl.load_image([str(image), "optical"])
    repl.handle("[det] Detect all ships.")
    for said in (predicted, out.getvalue()):
        nodata, low = said.index("1 object lies wholly on nodata"), said.index("scored below --min-score 0.3")
        assert nodata < low, said


@pytest.fixture
def locked(tmp_path):
    """A folder no one may write (``chmod a-w``), as a shared data folder; its mode restored after."""
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "old.png").write_bytes(b"")
    (tmp_path / "mine.png").write_bytes(b"")
    (tmp_path / "mine.png").chmod(0o444)
    folder.chmod(0o555)
    yield folder
    folder.chmod(0o755)


def test_vis_writes_nothing_into_a_read_only_folder_even_as_root(ckpt, geotiff, tmp_path, locked, monkeypatch):
    # as root a /vis wrote an overlay into the read-only fixtures folder: the system refuses root nothing
    from test_predict_edges import chat_repl

    monkeypatch.setattr(os, "geteuid", lambda: 0, raising=False)  # root's case, whoever runs the tests
    repl, out = chat_repl(ckpt)
    assert repl.load_image([str(geotiff)])
    repl.handle("[cls] scene?")
    for path in (locked / "x.png", locked / "sub" / "x.png", tmp_path / "mine.png"):
        repl.failed = False
        repl.handle(f"/vis {path}")
        assert repl.failed and not (locked / "x.png").exists() and not (locked / "sub").exists()
    said = out.getvalue()
    assert f"error: /vis {locked / 'x.png'}: {locked} is read-only (dr-xr-xr-x): no one may write there, and root, " \
           "whom the system lets, writes nothing there either; give a path in another folder" in said, said
    assert f"error: /vis {tmp_path / 'mine.png'}: it is read-only (-r--r--r--)" in said
    repl.handle(f"/geojson {locked / 'a.geojson'}")
    assert f"error: /geojson {locked / 'a.geojson'}: {locked} is read-only" in out.getvalue()


def test_vis_without_a_path_writes_nothing_and_a_relative_one_goes_to_the_current_folder(ckpt, geotiff, tmp_path,
                                                                                       monkeypatch):
    from test_predict_edges import chat_repl

    monkeypatch.chdir(tmp_path)
    repl, out = chat_repl(ckpt)
    assert repl.load_image([str(geotiff)])
    repl.handle("[cls] scene?")
    before = set(os.listdir(geotiff.parent))
    repl.handle("/vis")
    assert out.getvalue().endswith("usage: /vis out.png [R,G,B]\n") and repl.failed
    repl.handle("/vis rel.png")
    assert (tmp_path / "rel.png").is_file() and set(os.listdir(geotiff.parent)) == before  # not beside the image
