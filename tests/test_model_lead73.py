"""The model, stop 73 round 2: a question's unreadable <obb> (or point, polygon) is told how that shape is written,
not a box's; counted messages agree with their count ('1 object', not '1 object(s)'); generate refuses bool ids
and load_pretrained a negative or non-device ``device`` naming the argument; the pointer probe's bar counts
records; and a ChatSession's cached turns answer as a fresh generate over the whole conversation does."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pytest
import torch

REPO = Path(__file__).resolve().parents[1]
CROSSING = "<obb>" + "".join(f"<loc_{v}>" for v in (100, 100, 200, 200, 200, 100, 100, 200)) + "</obb>"


def image(seed: int = 0):
    return np.random.default_rng(seed).random((3, 32, 32), dtype=np.float32)  # (C,H,W) in [0, 1]


def test_a_crossing_obb_in_a_question_is_told_how_an_obb_is_written_and_what_writes_it():
    """It was told 'a box is <box><loc_X1>…</box>, X1 < X2 and Y1 < Y2', though the question held no box."""
    from rsvlm import geometry
    from rsvlm.inference import shape_problem

    said = shape_problem(f"[regcap] What is {CROSSING}?")
    assert "<obb> [100, 100, 200, 200, 200, 100, 100, 200] has crossing edges" in said, said
    assert said.endswith("an oriented box is <obb>, its 4 corners <loc_X><loc_Y> in order around it, </obb> "
                         "(rsvlm.geometry.encode writes the corners in order from pixels), each a thousandth of "
                         "the image's width or height (0-999)"), said
    assert "a box is <box>" not in said
    # the way out works: encode writes those corners in order, and the question then reads clean
    written = geometry.encode([{"kind": "obb", "coords": [[100, 100], [200, 200], [200, 100], [100, 200]]}], 1000, 1000)
    assert shape_problem(f"[regcap] What is {written}?") is None


@pytest.mark.parametrize("shape, says", [
    ("<point><loc_100></point>", "a point is <point><loc_X><loc_Y></point>, each a thousandth"),
    ("<poly><loc_1><loc_2><loc_3><loc_4></poly>", "a polygon is <poly>, 3 vertices <loc_X><loc_Y> or more"),
    ("<box><loc_500><loc_500><loc_100><loc_100></box>", "a box is <box><loc_X1><loc_Y1><loc_X2><loc_Y2></box>, X1 < X2"),
    ("<loc_5>", "a box is <box><loc_X1><loc_Y1><loc_X2><loc_Y2></box>"),  # a location in no shape: a box's
    ("<box><loc_1><loc_1><loc_0><loc_9></box> " + CROSSING, "X1 < X2 and Y1 < Y2; an oriented box is <obb>"),
])
def test_each_unreadable_shape_is_told_how_a_shape_of_its_kind_is_written(shape, says):
    from rsvlm.inference import shape_problem

    said = shape_problem(f"[vqa] Is {shape} a ship?")
    assert said is not None and says in said, said


def test_geojson_count_agrees_with_its_counts():
    from rsvlm.inference import geojson_count

    assert geojson_count({"features": [{}]}, [{}, {}]) == "1 feature; 1 object without a shape left out"
    assert geojson_count({"features": []}, [{}, {}]) == "0 features; 2 objects without a shape left out"


def test_no_message_of_the_model_files_counts_in_brackets():
    """'1 tensor(s) of another shape', '1 weight shard(s) … are missing', '1 GPU(s) are visible': the model's, the
    loaders' and the scripts' counted messages read in the singular or plural their count takes (progress.counted)."""
    files = [*(REPO / "rsvlm" / "model").glob("*.py"), *(REPO / "scripts").glob("*.py")]
    files += [REPO / "rsvlm" / f"{n}.py" for n in ("inference", "loading", "processes", "tokenizer", "tokens")]
    others = ("launch.py", "setup.sh", "test.sh")  # scripts of other areas (build_*.py too)
    found = [f"{f.relative_to(REPO)}:{node.lineno}" for f in files if f.name not in others
             and not f.name.startswith("build_") for node in ast.walk(ast.parse(f.read_text()))
             if isinstance(node, ast.Constant) and isinstance(node.value, str)
             and re.search(r"[A-Za-z]\((?:s|es)\)", node.value)]
    assert found == []


def test_counted_messages_read_in_the_singular_for_one(tiny_vlm):
    from rsvlm.model.weights import nan_note

    assert nan_note(Path("w.safetensors"), ["a"]).startswith("w.safetensors: 1 weight holds NaN or inf (first: a)")
    assert nan_note(Path("w.safetensors"), ["a", "b"]).startswith("w.safetensors: 2 weights hold NaN or inf")
    model, proc = tiny_vlm
    pixels = proc.prepare_image(image())
    with pytest.raises(ValueError, match=r"^prompt has 1 <image> placeholder but 2 images were given$"):
        proc.encode("<image>\nhi", [pixels, pixels])
    with pytest.raises(ValueError, match=r"^prompt has 2 <image> placeholders but 1 image was given$"):
        proc.encode("<image><image>\nhi", [pixels])
    ids = proc.encode("<image>\nhi", [pixels])
    ids.remove(model.special.image)  # one image token cut
    with pytest.raises(ValueError, match=r"^sample 0: \d+ image token positions in input_ids but its 1 image gives "
                                         r"\d+ visual tokens$"):
        model.embed_inputs(torch.tensor([ids]), [[pixels]])  # (1,T)


def test_generate_refuses_bool_ids_as_it_refuses_other_non_ids(tiny_vlm):
    """A bool input_ids tensor went through the check and failed in the embedding."""
    model, _ = tiny_vlm
    ids = torch.ones(1, 4, dtype=torch.bool)
    with pytest.raises(TypeError, match=r"^generate's input_ids must be a \(B,T\) integer tensor, got a tensor of "
                                        r"dtype bool and shape \(1, 4\); make them with the processor"):
        model.generate(ids, max_new_tokens=2)


@pytest.mark.parametrize("device, error, says", [
    (-1, ValueError, r"^device=-1 is not a device: a GPU's number is 0 or more \(0 is cuda:0\); or 'cpu', 'cuda'"),
    (np.int64(-2), ValueError, r"^device=-2 is not a device: a GPU's number is 0 or more"),
    (True, TypeError, r"^device=True is not a device: 'cpu', 'cuda', 'cuda:1', 'mps', a GPU's number or a "
                      r"torch\.device$"),  # was torch's "invalid combination of arguments"
    (1.5, TypeError, r"^device=1\.5 is not a device"),  # was "device='1.5'", as if a str was given
    ([0], TypeError, r"^device=\[0\] is not a device"),
])
def test_load_pretrained_refuses_a_device_that_is_none_naming_the_argument(ckpt, device, error, says):
    """device=-1 raised torch's own "Device index must not be negative", naming no argument."""
    from rsvlm.model import load_pretrained

    with pytest.raises(error, match=says):
        load_pretrained(ckpt, device=device)


def test_memory_plan_tells_a_folder_of_one_yaml_to_give_that_file(tmp_path, monkeypatch, capsys):
    """It said "it holds 1 YAML file(s) (tiny.yaml): give them as files (…/*.yaml)"."""
    from script_loader import load_script

    plan = load_script("memory_plan", monkeypatch)
    (tmp_path / "tiny.yaml").write_text((REPO / "configs" / "model" / "tiny.yaml").read_text())
    assert plan.main([str(tmp_path)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"it holds 1 YAML file (tiny.yaml): give it as a file ({tmp_path / 'tiny.yaml'})" in err, err


def test_the_pointer_probe_counts_its_bar_in_records(tmp_path, monkeypatch, ckpt):
    """Its bar's unit was "rec": with progress.bar's word units it read "recs/s"."""
    from script_loader import load_script
    from test_probe_pointer_cells import ground_records

    import rsvlm.progress
    from rsvlm.inference import load_model

    units, made = [], rsvlm.progress.bar
    monkeypatch.setattr(rsvlm.progress, "bar", lambda *a, **k: units.append((k.get("desc"), k.get("unit")))
                        or made(*a, **k))
    probe = load_script("probe_pointer_cells", monkeypatch)
    probe.cell_stats(*load_model(str(ckpt), device="cpu"), ground_records(tmp_path), limit=1)
    assert ("probing cells", "record") in units, units


def test_a_chat_sessions_cached_turns_answer_as_a_fresh_generate_over_the_conversation(tiny_vlm):
    """ChatSession keeps the KV cache of earlier turns (images and all) and prefills only a turn's new tokens;
    each turn's greedy answer is the one a fresh generate over the whole rendered conversation gives."""
    from rsvlm.model import ChatSession, ImageInput
    from rsvlm.model.grammar import shape_need
    from rsvlm.tokens import opening_task

    model, proc = tiny_vlm
    model.eval()
    img = ImageInput(image(1), "optical")
    chat = ChatSession(model, proc, max_new_tokens=8, history="all")
    for k, question in enumerate(["[cls] What scene is this?", "[vqa] Is there a ship?", "[ground] the pier"]):
        answer = chat.ask(question, images=img if k == 0 else None)
        batch = proc(proc.chat_prompt(chat.messages[:-1], add_generation_prompt=True), [img])
        fresh = model.generate(**batch, max_new_tokens=8, stop_strings=proc.stop_strings,
                               need_shape=shape_need(opening_task(question)))
        assert fresh.text[0].strip() == answer, (k, question)
        st = chat.stats[-1]
        assert st["reused"] + st["prefill_tokens"] == batch["input_ids"].shape[1]
        if k:  # the earlier turns, image tokens included, came from the cache
            assert st["images_encoded"] == 0 and st["prefill_tokens"] < st["reused"]
