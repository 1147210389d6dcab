"""Tour 68, the front door (predict and chat): chat's /vis of an answer with no shapes draws the image as
predict --vis does; a Python warning's summary with standard error closed stays off standard output (the
JSON of predict --out -)."""

from __future__ import annotations

import sys

from test_predict_edges import chat_repl


def test_chat_vis_of_an_answer_with_no_shapes_draws_the_image_alone(ckpt, geotiff, tmp_path):
    """/vis refused an answer with no shapes ("no geometry in the last answer") and wrote no file, where
    predict --vis draws the image and /geojson writes an empty collection: a script's /vis per image found
    a file missing."""
    from PIL import Image

    repl, out = chat_repl(ckpt)
    repl.load_image([str(geotiff), "optical"])
    repl.last = {"question": "[cls] What is this?", "objects": []}
    assert repl.handle(f"/vis {tmp_path / 'none.png'}")
    assert Image.open(tmp_path / "none.png").size[0] >= 512  # the image, enlarged to the overlay's least side
    assert out.getvalue().endswith(f"wrote {tmp_path / 'none.png'} (no geometry in the last answer)\n"), out.getvalue()


def test_warning_lines_with_stderr_closed_write_nothing_to_stdout(monkeypatch, tmp_path, capsys):
    """``rsvlm predict … --out - 2>&-``: the summary of a repeated warning, said after the run (outside the
    guarded streams), went through tqdm.write to stdout, after the JSON (``| jq`` failed on it). Through
    ``cli.main``, as a user meets it (it runs each command with a closed stderr as the null device)."""
    import warnings

    from conftest import stubbed_command

    from rsvlm.cli import main

    def work(args):
        for n in (82, 90):
            warnings.warn(f"ran {n} token(s)", UserWarning, stacklevel=1)
        return 0

    argv = stubbed_command(monkeypatch, tmp_path, "merge-lora", work)
    assert main(argv) == 0
    assert "rsvlm merge-lora: the warning \"ran 82 token(s)\" came 2 times in all" in capsys.readouterr().err
    monkeypatch.setattr(sys, "stderr", None)
    assert main(argv) == 0
    assert sys.stderr is None  # given back as it was
    monkeypatch.undo()
    assert capsys.readouterr().out == ""


def test_chat_geojson_of_no_shapes_on_an_image_without_a_crs_names_no_table(ckpt, tmp_path):
    """/geojson on a PNG after "None.": "the table above gives them in pixels, and /vis draws them", of an
    answer with no table and nothing to draw."""
    from PIL import Image

    png = tmp_path / "plain.png"
    Image.new("RGB", (64, 48), (90, 120, 60)).save(png)
    repl, out = chat_repl(ckpt)
    repl.load_image([str(png), "optical"])
    repl.last = {"question": "[det] Detect all ships.", "objects": []}
    assert repl.handle(f"/geojson {tmp_path / 'none.geojson'}")
    said = out.getvalue().splitlines()[-1]
    assert said.startswith("error: /geojson: plain.png is not georeferenced") and "table above" not in said, said
    assert said.endswith("no map coordinates; no geometry in the last answer either"), said
    assert not (tmp_path / "none.geojson").exists()


def test_chat_with_stderr_closed_keeps_its_notes_out_of_the_answers(ckpt, geotiff, monkeypatch, capsys):
    """``rsvlm chat < q.txt > answers.txt 2>&-``: print(file=sys.stderr), stderr None, writes to stdout: the
    answers file opened with "rsvlm chat: loading model from …"."""
    from test_chat_tour54 import chat_main

    monkeypatch.setattr(sys, "stderr", None)
    assert chat_main(["--model", str(ckpt), "--device", "cpu", "--image", str(geotiff), "--max-new-tokens", "3"],
                     ["[cls] What scene?"], monkeypatch) == 0
    out = capsys.readouterr().out
    assert "rsvlm chat:" not in out and "[cls] What scene?" in out, out  # the conversation alone
    assert sys.stderr is None  # given back as it was
