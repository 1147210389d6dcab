"""Front door, tour 63: chat and predict say the --tta views not asked of a kept "None." (stand-in answerers)."""
from __future__ import annotations

import pytest
from conftest import ClosedPipe, stubbed_command
from test_cli_lead62 import stand_in_chat

from rsvlm.cli import main

ABOVE = "[det] Detect the ships above the bridge."  # 'above' has no one-word image under a transpose


def test_predict_says_the_views_not_asked_of_a_kept_none(ckpt, geotiff, tmp_path, monkeypatch, capsys):
    from rsvlm import inference as inf

    monkeypatch.setattr(inf, "answerer", lambda *a, **k: lambda msgs, imgs: [inf.Answer("None.", [])] * len(msgs))
    assert main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--task", "det", "--prompt", ABOVE,
                 "--tta", "dihedral", "--out", str(tmp_path / "p.json")]) == 0
    err = capsys.readouterr().err  # was silent: the fused None. kept, 4 of its 7 views never asked
    assert "4 other views not asked, 3 asked ('t', 'th', 'tv', 'thv' not)" in err
    assert "no view asked" not in err


def test_chat_says_the_views_not_asked_of_a_kept_none():
    from rsvlm import inference as inf
    from rsvlm.tta import MODES, FuseConfig

    repl, out, _, _ = stand_in_chat()
    repl.tta = FuseConfig(views=MODES["dihedral"])
    repl.session.messages = [{"role": "user", "content": f"<image>\n{ABOVE}"}, {"role": "assistant", "content": "None."}]
    asked = []
    repl.answerer = lambda *a: (lambda m, i: asked.extend(m) or [inf.Answer("None.", []) for _ in m])
    assert repl.fused("None.", []) == ("None.", [])
    assert len(asked) == 3
    assert "  note: test-time augmentation: 4 other views not asked, 3 asked ('t', 'th', 'tv', 'thv' not)" \
        in out.getvalue()


def test_chat_says_nothing_of_a_kept_none_every_view_asked():
    from rsvlm import inference as inf
    from rsvlm.tta import MODES, FuseConfig

    repl, out, _, _ = stand_in_chat()
    repl.tta = FuseConfig(views=MODES["dihedral"])
    repl.session.messages = [{"role": "user", "content": "<image>\n[det] Detect the ships."}, {"role": "assistant"}]
    repl.answerer = lambda *a: (lambda m, i: [inf.Answer("None.", []) for _ in m])
    repl.fused("None.", [])
    assert "note" not in out.getvalue()


@pytest.mark.parametrize("command", ["train", "merge-lora", "convert-llava"])
def test_a_closed_reader_cuts_no_train_merge_or_convert_short(command, tmp_path, monkeypatch):
    import sys

    import rsvlm.cli as cli

    written = tmp_path / "written"

    def work(*a, **k):  # a progress line first, as train's bar and a warning while a checkpoint loads
        print("loading …", file=sys.stderr)
        written.write_text("done")
        return 3

    argv = stubbed_command(monkeypatch, tmp_path, command, work)
    monkeypatch.setattr(sys, "stderr", ClosedPipe())
    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    code = cli.main(argv)
    assert (code, written.read_text()) == (3, "done")  # was exit 0, nothing written


@pytest.mark.parametrize("argv, said", [
    (["predict", "--image", "a.png", "--task", "det", "--out", "x.json", "--out", "y.json"],
     "rsvlm predict: warning: --out given twice, 'x.json' and 'y.json': the last, 'y.json', is taken"),
    (["predict", "--image", "a.png", "--task", "det", "--prompt", "ships?", "--prompt=planes?"],
     "--prompt given twice, 'ships?' and 'planes?': the last, 'planes?', is taken"),
    (["eval", "--data", "a.jsonl", "--out", "p.jsonl", "--batch-size", "4", "--batch-size", "8"],
     "--batch-size given twice, 4 and 8: the last, 8, is taken"),
])
def test_an_option_given_twice_differently_is_said_naming_both(argv, said, capsys):
    from rsvlm.cli import build_parser

    build_parser().parse_args(argv)  # was: the last kept unsaid, the run not the one its line reads as
    assert said in capsys.readouterr().err


def test_an_option_repeated_with_the_same_value_is_taken_unsaid(capsys):
    from rsvlm.cli import build_parser

    args = build_parser().parse_args(["predict", "--image", "a.png", "--image", "b.png", "--task", "det",
                                      "--task", "DET", "--max-new-tokens", "5", "--max-new-tokens=05"])
    assert (args.image, args.task, args.max_new_tokens) == (["a.png", "b.png"], "det", 5)  # --image: a pair
    assert capsys.readouterr().err == ""


def test_train_given_two_recipes_is_refused_as_python_m_rsvlm_train_refuses(capsys):
    with pytest.raises(SystemExit) as e:  # was: b.yaml trained, a.yaml dropped unsaid
        main(["train", "--config", "a.yaml", "--config", "b.yaml", "max_steps=3"])
    assert e.value.code == 2 and "--config given 2 times (a.yaml, b.yaml): a run has one recipe" in capsys.readouterr().err


TWO_BOXES = "<ref>ship</ref><box><loc_1><loc_2><loc_300><loc_400></box><box><loc_500><loc_500><loc_600><loc_600></box>"


def test_predict_says_why_objects_have_no_score(ckpt, geotiff, tmp_path, monkeypatch, capsys):
    import json

    from rsvlm import inference as inf

    answer = inf.Answer(TWO_BOXES, [0.9])  # one score for two shapes: with_scores gives none
    monkeypatch.setattr(inf, "answerer", lambda *a, **k: lambda msgs, imgs: [answer] * len(msgs))
    assert main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--task", "det", "--min-score", "0.5",
                 "--out", str(tmp_path / "p.json")]) == 0
    out, err = capsys.readouterr()
    assert "0 of 2 objects scored below --min-score 0.5 dropped (2 unscored, kept)" in out  # was "0 of 2 … dropped"
    why = "2 of 2 objects have no score: the answer's shapes did not match the model's per-shape scores"
    assert why in err and any(why in n for n in json.loads((tmp_path / "p.json").read_text())["notes"])


def test_chat_says_why_objects_have_no_score():
    import types

    repl, out, asked, _ = stand_in_chat()
    repl.session = types.SimpleNamespace(
        asked=False, history=None, stats=[{"dropped_turns": 0, "cut": False, "at_context": False}], last_scores=[0.9],
        messages=[*asked, {"role": "assistant", "content": TWO_BOXES}], ask=lambda *a, **k: TWO_BOXES)
    repl.images[0].__dict__.update(window=None, scene_size=None, width=32, height=32, georeferenced=False, valid=None)
    repl.unsent = list(repl.images)
    assert repl.ask("[det] Detect all objects.") == TWO_BOXES
    assert "  note: 2 of 2 objects have no score: the answer's shapes did not match" in out.getvalue()


def test_scored_objects_get_no_unscored_note():
    from rsvlm.output_options import above_min_score, unscored_note

    objects = [{"kind": "box", "score": 0.7}, {"kind": "box", "score": 0.2}]
    assert unscored_note(objects) is None
    assert above_min_score(objects, 0.5)[1] == "1 of 2 objects scored below --min-score 0.5 dropped"


def test_chat_vis_usage_names_its_bands_as_help_does():
    repl, out, _, _ = stand_in_chat()
    repl.commands.command("/vis")  # was "usage: /vis out.png", while /help and the epilog give [R,G,B]
    assert out.getvalue().strip() == "usage: /vis out.png [R,G,B]"


def test_predict_refuses_three_images_as_chat_does(geotiff, tmp_path, capsys):
    code = main(["predict", "--model", str(tmp_path / "no-model"), "--image", str(geotiff), "--image", str(geotiff),
                 "--image", str(geotiff), "--task", "cls", "--out", str(tmp_path / "p.json")])
    err = capsys.readouterr().err  # was one answer ("lake") about the three at once, with a "[pair]" warning
    assert code == 2 and "rsvlm predict: 3 --image given; predict answers one image or a bi-temporal pair" in err
    assert not (tmp_path / "p.json").exists()


def test_chat_image_given_two_files_says_one_at_a_time(tmp_path):
    repl, out, _, _ = stand_in_chat()
    (tmp_path / "a.png").write_bytes(b"")
    (tmp_path / "b.png").write_bytes(b"")
    assert not repl.load_image([str(tmp_path / "a.png"), str(tmp_path / "b.png")])  # was "1 band names [...b.png]"
    assert f"error: /image takes one image at a time, got 2 files: /image {tmp_path / 'a.png'}, then /image " \
           f"{tmp_path / 'b.png'} for a bi-temporal pair" in out.getvalue()


def test_chat_unknown_command_names_the_one_meant():
    repl, out, _, _ = stand_in_chat()
    assert repl.commands.command("/imgae a.png") and repl.commands.command("/frobnicate")
    assert out.getvalue().splitlines() == ["unknown command /imgae (did you mean /image?); /help lists them",
                                           "unknown command /frobnicate; /help lists them"]


def test_a_class_answering_none_in_words_is_no_worded_class():
    from rsvlm.answering import join_shapes

    box = "<ref>ship</ref><box><loc_1><loc_2><loc_30><loc_40></box>"
    joined = join_shapes([(box, [0.9]), ("There are no ships.", []), ("No planes detected", []), ("None.", []),
                          ("", []), ("a harbor by the river", [])], ["ship", "plane", "car", "tank", "bridge", "harbor"])
    assert joined.worded == ("harbor",)  # "There are no ships." was "worded", where --tta reads it as none
    assert joined == (box, [0.9])


@pytest.mark.parametrize("mib, at", [(6, 4.5), (8, 7.5), (9, 8.5)])  # over 8 MiB: its first and last 4 MiB
def test_run_stamp_hashes_a_weights_file_of_8_mib_or_less_whole(mib, at, tmp_path):
    import types

    from rsvlm.predictions import run_stamp

    (tmp_path / "config.yaml").write_text("model: {}\n")
    weights = tmp_path / "adapter" / "adapter_model.safetensors"
    weights.parent.mkdir()
    weights.write_bytes(bytes(mib << 20))
    before = run_stamp(tmp_path, types.SimpleNamespace())["weights"]
    with weights.open("r+b") as fh:  # retrained past the first 4 MiB (was read as the same adapter at 4-8 MiB)
        fh.seek(int(at * (1 << 20)))
        fh.write(b"\x01")
    after = run_stamp(tmp_path, types.SimpleNamespace())["weights"]
    assert before["adapter/adapter_model.safetensors"] != after["adapter/adapter_model.safetensors"]
    assert before["config.yaml"] == after["config.yaml"]


def test_the_unscored_note_says_a_hole_unscores_under_the_grammar_too():
    from rsvlm.output_options import unscored_note

    note = unscored_note([{"kind": "poly"}, {"kind": "box", "score": 0.4}])
    assert note.startswith("1 of 2 objects has no score")
    # was "(a shape left open, or two the decoder joined or split: --free-decoding does it)": a hole, which
    # unscores an answer decoded under the grammar too, read as --free-decoding's doing
    assert "a <poly> decoded as the previous one's hole, or under --free-decoding a shape left open or a malformed one left out" in note
