"""``rsvlm chat`` toured with piped input as a demanding user drives it: the loading line on stderr,
the slash commands in their own module, and what the tour found."""

from conftest import Terminal
from test_chat_tour54 import chat_main


def test_the_model_loading_is_said_on_stderr_with_its_time_and_stdout_stays_clean(ckpt, geotiff, monkeypatch,
                                                                                   capsys):
    assert chat_main(["--model", str(ckpt), "--image", str(geotiff), "--max-new-tokens", "2"], ["/help"],
                     monkeypatch) == 0
    said = capsys.readouterr()  # was silent for the seconds (minutes) the model took to load
    err = said.err.splitlines()
    assert err[0] == f"rsvlm chat: loading model from {ckpt} …"
    assert err[1].startswith("rsvlm chat: model loaded in ") and err[1].endswith(" s")
    float(err[1].split(" in ")[1][:-2])
    assert "loading" not in said.out and "loaded in" not in said.out and "/image PATH" in said.out


def test_a_model_that_is_not_there_is_said_without_a_loading_line(tmp_path, geotiff, monkeypatch, capsys):
    assert chat_main(["--model", str(tmp_path / "none"), "--image", str(geotiff)], [], monkeypatch) == 2
    err = capsys.readouterr().err
    assert err == f"rsvlm chat: {tmp_path / 'none'}: not an rsvlm checkpoint (no such folder)\n"


def test_piped_questions_are_echoed_after_the_prompt_so_answers_do_not_read_as_typed(ckpt, geotiff, monkeypatch,
                                                                                     capsys):
    import io

    from rsvlm.cli import main

    monkeypatch.setattr("sys.stdin", io.StringIO("[cls] scene?\n\n/help\n"))  # not a terminal: input() writes the
    assert main(["chat", "--model", str(ckpt), "--image", str(geotiff), "--max-new-tokens", "2"]) == 0  # prompt alone
    out = capsys.readouterr().out  # was ">>> <answer>" and ">>> >>> commands:"
    assert "\n>>> [cls] scene?\n" in out and "\n>>> \n>>> /help\ncommands:\n" in out and out.endswith(">>> \n")


def test_geojson_of_an_image_without_map_coordinates_names_the_command_and_what_is_left(ckpt, tmp_path):
    import numpy as np
    from PIL import Image
    from test_predict_edges import chat_repl

    from rsvlm import geometry
    from rsvlm import inference as inf

    png = tmp_path / "harbour.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 96, 3), dtype=np.uint8)).save(png)
    repl, out = chat_repl(ckpt)
    repl.load_image([str(png)])
    answer = geometry.encode([{"kind": "box", "label": "ship", "coords": [8.0, 8.0, 40.0, 30.0]}], 96, 64)
    repl.last = {"question": "[det] ships", **inf.locate(answer, repl.images[-1])}
    assert repl.handle(f"/geojson {tmp_path / 'ships.geojson'}")
    said = out.getvalue()  # was "error: …/harbour.png: not georeferenced (…); only pixel coordinates are available"
    assert said.endswith("error: /geojson: harbour.png is not georeferenced (no CRS with a transform or ground "
                         "control points), so its shapes have no map coordinates; the table above gives them in "
                         "pixels, and /vis draws them\n")
    assert not (tmp_path / "ships.geojson").exists()


def test_a_word_after_the_path_that_is_no_modality_is_said_to_be_read_as_a_band_name(ckpt, geotiff):
    from test_predict_edges import chat_repl

    repl, out = chat_repl(ckpt)
    assert not repl.load_image([str(geotiff), "lidar"])  # was "1 band names ['lidar'] given; the image has 3 …" alone
    said = out.getvalue()
    assert "1 band name ['lidar'] given" in said and said.endswith(
        "('lidar' was read as a band name: it is no modality, and the modalities are optical, msi, sar, ir)\n")
    out.seek(0), out.truncate()
    assert not repl.load_image([str(geotiff), "R,G"])  # band names, comma-separated: no such hint
    assert "band names" in out.getvalue() and "no modality" not in out.getvalue() and not repl.images


def test_an_answer_not_fused_is_decoded_once_on_a_terminal_too(ckpt, geotiff, monkeypatch):

    from rsvlm import inference as inf
    from rsvlm import tta
    from rsvlm.chat import ChatREPL


    plain_views, decoded = tta._plain_views, []
    monkeypatch.setattr(tta, "_plain_views", lambda *a: decoded.append(1) or plain_views(*a))
    model, processor = inf.load_model(str(ckpt), "cpu")
    # text answers not fused, then fused over the 3 other views: the count is fused_answers' own decode
    for text_words in (0, 4):
        decoded.clear()
        repl = ChatREPL(model, processor, out=Terminal(), max_new_tokens=2,
                        tta=tta.FuseConfig(views=tta.MODES["flip"], text_words=text_words))
        repl.load_image([str(geotiff), "optical"])
        assert repl.handle("[count] How many ships?")
        said = repl.out.getvalue()
        assert len(decoded) == 1  # was 2 for an answer no view is asked about: counted for a count never shown
        assert ("asking view" in said) == bool(text_words) and ("  (asking view 3 of 3…)" in said) == bool(text_words)


def test_a_write_command_given_the_other_ones_kind_of_file_says_which_writes_it(ckpt, geotiff, tmp_path):
    from test_chat_tour58 import repl_with_answer

    repl, out = repl_with_answer(ckpt, geotiff)
    for cmd, name in (("/geojson", "ships.png"), ("/geojson", "ships.TIF"), ("/vis", "ships.geojson")):
        out.seek(0), out.truncate()
        assert repl.handle(f"{cmd} {tmp_path / name}")  # /geojson ships.png wrote GeoJSON into ships.png
        assert out.getvalue().startswith(f"error: {cmd} {tmp_path / name}: an image's name: /geojson writes GeoJSON"
                                         if cmd == "/geojson" else
                                         f"error: /vis {tmp_path / name}: a GeoJSON name: /vis draws an image")
    assert not list(tmp_path.iterdir())
    out.seek(0), out.truncate()
    assert repl.handle(f"/vis {tmp_path / 'ships.txt'}")  # the path said once, not again by the reason
    assert out.getvalue() == f"error: /vis {tmp_path / 'ships.txt'}: unknown image extension '.txt'; give e.g. " \
                             "overlay.png\n"
    assert repl.handle(f"/geojson {tmp_path / 'ships.json'}") and (tmp_path / "ships.json").exists()


def test_a_word_question_about_a_pair_is_noted_without_the_pixels_shapes_are_read_in(ckpt, geotiff):
    from test_predict_edges import chat_repl

    repl, out = chat_repl(ckpt)
    for _ in range(2):
        repl.load_image([str(geotiff), "optical"])
    assert repl.handle("[vqa] Is there a ship?")  # a word answer: was "…; shapes are read in scene.tif's pixels"
    assert "  note: [vqa] about the pair: the model saw pairs for [change] only\n" in out.getvalue()
    assert repl.handle("[ground] the ship")
    assert "  note: [ground] about the pair: the model saw pairs for [change] only; shapes are read in scene.tif's " \
           "pixels\n" in out.getvalue()


def test_an_image_path_with_a_wildcard_says_no_shell_expands_it_and_what_it_matches(ckpt, geotiff):
    from test_predict_edges import chat_repl

    repl, out = chat_repl(ckpt)
    pattern = str(geotiff.parent / "*.tif")
    assert not repl.load_image([pattern])  # was "image not found: …/*.tif" alone
    assert out.getvalue().endswith("(no shell here expands wildcards: give one file, or band files of one image "
                                   f"comma-separated; it matches {geotiff})\n")
    out.seek(0), out.truncate()
    assert not repl.load_image([str(geotiff.parent / "*.jp2")])
    assert out.getvalue().endswith("give one file, or band files of one image comma-separated)\n")


def test_a_closed_stdin_is_said_before_the_model_loads(ckpt, geotiff, monkeypatch, capsys):
    from rsvlm.cli import main

    monkeypatch.setattr("sys.stdin", None)  # rsvlm chat <&-: was an AttributeError traceback after the loading
    assert main(["chat", "--model", str(ckpt), "--image", str(geotiff)]) == 2
    said = capsys.readouterr()
    assert said.err.startswith("rsvlm chat: standard input is closed: the chat reads its questions there")
    assert "loading model" not in said.err and said.out == ""
