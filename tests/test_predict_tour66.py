"""Tour 66 (helper C): predict's task from --prompt's tag, its hints and notes."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from rsvlm.cli import main


def _predict(model, image, *extra):
    return main(["predict", "--model", str(model), "--image", str(image), "--max-new-tokens", "4",
                 "--device", "cpu", *extra])


def test_the_task_is_read_from_the_prompt_s_tag(ckpt, geotiff, tmp_path, capsys):
    """--prompt "[det] Detect all ships." was refused: "the following arguments are required: --task"."""
    out = tmp_path / "r.json"
    assert _predict(ckpt, geotiff, "--prompt", "[DET] Detect all ships.", "--out", str(out)) == 0
    result = json.loads(out.read_text())
    assert result["task"] == "det" and result["prompt"] == "[det] Detect all ships."
    assert "--task" not in capsys.readouterr().err


def test_a_task_tag_alone_names_the_task_too(ckpt, geotiff, tmp_path):
    out = tmp_path / "r.json"
    assert _predict(ckpt, geotiff, "--prompt", "[cls]", "--out", str(out)) == 0
    assert json.loads(out.read_text())["task"] == "cls"


@pytest.mark.parametrize("prompt", [None, "What is here?"])
def test_no_task_and_no_tag_is_a_usage_error_naming_both(prompt, geotiff, tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        _predict(tmp_path / "no-model", geotiff, *(["--prompt", prompt] if prompt else []))
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "required: --task (or a --prompt that opens with its task tag" in err


def test_settle_task_names_an_unknown_tag_or_the_missing_task():
    from rsvlm.predict import settle_task

    args = SimpleNamespace(task=None, prompt="[detect] ships")
    assert settle_task(args).startswith("--prompt: unknown task tag [detect]")
    assert settle_task(SimpleNamespace(task=None, prompt="ships?")).startswith("give --task (cls, vqa, ")
    args = SimpleNamespace(task=None, prompt=" [Count] How many cars?")
    assert settle_task(args) is None and args.task == "count"
    args = SimpleNamespace(task="det", prompt="[cls] What scene?")  # refused since stop 67 (was warned of)
    assert settle_task(args).startswith("--task det and --prompt's [cls] name two tasks") and args.task == "det"


def _image(w=96, h=64):
    import numpy as np

    from rsvlm.io import RSImage

    return RSImage(np.zeros((3, h, w), np.float32), "optical", ["R", "G", "B"], path="x.png")


@pytest.mark.parametrize("task", ["vqa", "cls", "cap"])
def test_an_unreadable_shape_outside_regcap_is_not_told_to_use_region(task):
    """--region is refused for any task but [regcap], yet the refusal of [vqa] "<box>10,10,50,50</box>" offered it."""
    from rsvlm.predict import Said, asked_question

    args = SimpleNamespace(task=task, prompt=f"[{task}] What is in <box>10,10,50,50</box>?", region=None, tile=None,
                           min_objects=0, det_by_class=False)
    with pytest.raises(ValueError) as e:
        asked_question(args, _image(), Said())
    assert "--region" not in str(e.value)
    assert "10,10,50,50 as pixels of x.png (96x64) is <box><loc_" in str(e.value)  # the box to write instead


def test_an_unreadable_regcap_shape_is_told_to_use_region():
    from rsvlm.predict import Said, asked_question

    args = SimpleNamespace(task="regcap", prompt="[regcap] What is in <box>10,10,50,50</box>?", region=None,
                           tile=None, min_objects=0, det_by_class=False)
    with pytest.raises(ValueError, match=r"--region X1,Y1,X2,Y2 gives a \[regcap\] box in pixels"):
        asked_question(args, _image(), Said())


def test_messages_name_the_task_as_it_was_given(geotiff, tmp_path, capsys):
    """With the task read from --prompt's tag, "--task change compares two images" named an option never given."""
    assert _predict(tmp_path / "no-model", geotiff, "--prompt", "[change] What changed?") == 2
    assert "rsvlm predict: --prompt's [change] compares two images" in capsys.readouterr().err
    _predict(tmp_path / "no-model", geotiff, "--prompt", "[count]", "--min-objects", "3")
    assert "--min-objects ignored: --prompt's [count] asks no [det] question" in capsys.readouterr().err
    assert _predict(tmp_path / "no-model", geotiff, "--task", "change") == 2
    assert "rsvlm predict: --task change compares two images" in capsys.readouterr().err


def test_an_empty_prompt_without_a_task_is_said_empty(geotiff, tmp_path, capsys):
    """--prompt "$Q" with Q unset and no --task: said as an empty --prompt, not as a missing --task."""
    assert _predict(tmp_path / "no-model", geotiff, "--prompt", " ") == 2
    assert "rsvlm predict: --prompt is empty; give the question, or --task alone" in capsys.readouterr().err


def test_a_token_limit_past_the_context_is_taken_as_the_context(ckpt, geotiff, tmp_path, capsys, monkeypatch):
    """--max-new-tokens 100000 on a 512-token LLM generated on, far past the context, for many minutes."""
    from rsvlm import inference as inf

    asked = []
    real = inf.answerer

    def answerer(model, processor, max_new_tokens, *a, **k):
        asked.append(max_new_tokens)
        return real(model, processor, 3, *a, **k)  # the answer itself kept short

    monkeypatch.setattr(inf, "answerer", answerer)
    out = tmp_path / "r.json"
    assert main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--task", "cls", "--device", "cpu",
                 "--max-new-tokens", "100000", "--out", str(out)]) == 0
    ctx = 512  # configs/model/tiny.yaml's LLM
    assert asked == [ctx]
    note = f"note: --max-new-tokens 100000 is more than the LLM's whole context ({ctx} tokens)"
    assert note in capsys.readouterr().err and any(n.startswith(note) for n in json.loads(out.read_text())["notes"])


def test_vis_to_stdout_says_the_overlay_is_a_file():
    from rsvlm.predict import output_problem

    args = SimpleNamespace(out=None, geojson=None, vis="-")
    assert output_problem(args).startswith("--vis -: the overlay is an image, written to a file")  # was "extension"


def test_a_region_alone_asks_the_regcap_question(ckpt, geotiff, tmp_path):
    """rsvlm predict --region 10,10,50,50 was refused for want of --task, though only [regcap] takes a region."""
    out = tmp_path / "r.json"
    assert _predict(ckpt, geotiff, "--region", "10,10,50,50", "--out", str(out)) == 0
    result = json.loads(out.read_text())
    assert result["task"] == "regcap" and result["prompt"].startswith("[regcap] What is in <box><loc_")
    assert _predict(ckpt, geotiff, "--region", "10,10,50,50", "--prompt", "Describe {box}.", "--out", str(out)) == 0
    assert json.loads(out.read_text())["prompt"].startswith("[regcap] Describe <box><loc_")


def test_a_reader_gone_is_said_as_eval_says_it(ckpt, geotiff, tmp_path, monkeypatch):
    """rsvlm predict … --out r.json | head -0: the file was written, status 0, and nothing said that the printed
    answer and notes after it went unseen (eval and train say so)."""
    from conftest import one_stream_closed

    kept, said = one_stream_closed(monkeypatch, "stdout")
    out = tmp_path / "r.json"
    assert _predict(ckpt, geotiff, "--task", "cls", "--out", str(out)) == 0 and out.exists()
    assert f"rsvlm predict: {said} was closed by its reader; the run went on to its end" in kept.text


def test_a_misspelt_prompt_is_said_before_a_missing_task(geotiff, tmp_path, capsys):
    """--promt '[det] Detect all ships.' was told "required: --task": the tag the user gave went unread for a
    typo the error did not name."""
    with pytest.raises(SystemExit):
        _predict(tmp_path / "no-model", geotiff, "--promt", "[det] Detect all ships.")
    err = capsys.readouterr().err
    assert "did you mean --prompt?" in err and "required: --task" not in err, err


def test_context_cap_holds_the_limit_to_a_known_context_only():
    """predict and chat each held --max-new-tokens to the context in their own words; one rule now, for eval too."""
    from transformers import PretrainedConfig

    from rsvlm.answering import context_cap

    class LLM:
        config = PretrainedConfig(max_position_embeddings=512)

    model = SimpleNamespace(llm=LLM())
    assert context_cap(model, 100000, "the conversation") == (512, "--max-new-tokens 100000 is more than the LLM's "
                                                              "whole context (512 tokens), which the conversation "
                                                              "shares: 512 taken")
    assert context_cap(model, 512) == (512, None) and context_cap(SimpleNamespace(), 100000) == (100000, None)


def test_a_region_beside_another_task_s_tag_names_the_tag(geotiff, tmp_path, capsys):
    """--prompt '[det] ships' --region … (no --task) was told "--region is for --task regcap", naming no --task given
    nor what made the task [det]."""
    assert _predict(tmp_path / "no-model", geotiff, "--prompt", "[det] ships", "--region", "1,1,5,5") == 2
    assert "rsvlm predict: --region is for --task regcap; --prompt's [det] asks about none" in capsys.readouterr().err



POLY = "<ref>ship</ref><poly><loc_100><loc_100><loc_500><loc_100><loc_500><loc_500></poly>"
VOTED = "test-time augmentation: \"None.\" in place of the plain answer's 1 shape, voted out: "


def test_a_plain_answer_voted_out_by_tta_says_why(ckpt, geotiff, tmp_path, capsys, monkeypatch):
    """--tta dihedral answered "None." where the plain answer had a ship's outline, with no word of why
    (Fused.voted_out was printed nowhere)."""
    from rsvlm import inference as inf

    calls = []

    def answerer(*a, **k):
        def generate(messages, images):  # the plain answer a ship, every view's "None."
            calls.append(1)
            return [inf.Answer(POLY if len(calls) == 1 else "None.", []) for _ in messages]
        return generate

    monkeypatch.setattr(inf, "answerer", answerer)
    out = tmp_path / "r.json"
    assert _predict(ckpt, geotiff, "--task", "seg", "--tta", "dihedral", "--out", str(out)) == 0
    err = capsys.readouterr().err
    assert f"rsvlm predict: note: {VOTED}" in err, err
    result = json.loads(out.read_text())
    assert result["answer"] == "None." and any(VOTED in n for n in result["notes"]), result["notes"]


def test_chat_says_why_tta_voted_the_plain_answer_out():
    from test_tta_tour56 import stand_in_repl

    from rsvlm import inference as inf
    from rsvlm import tta

    repl = stand_in_repl(lambda m, i: [inf.Answer("None.", []) for _ in m],
                         [{"role": "user", "content": "<image>\n[seg] the ships"},
                          {"role": "assistant", "content": POLY}], tta.FuseConfig(views="dihedral"))
    assert repl.fused(POLY, []).text == "None."
    said = repl.out.getvalue()
    assert [ln for ln in said.splitlines() if "voted out" in ln] == [f"  note: {VOTED}no pixel was drawn as one "
                                                                    "class by 4 of the 8 views (min_share 0.5), or "
                                                                    "only slivers under 0.1 of a view's instance"]
    assert "fused over 8 views: None.\n" in said, said  # not also "(no shape found in enough views)"
