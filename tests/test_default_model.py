"""The bundled default model (rsvlm/assets/default_model) and its sample scenes (rsvlm/assets/samples).

These check behaviour, not scores (the scores are in docs/default-model.md): the shipped files
load offline through ``load_model(None)``, answers to the bundled samples have the form their
task promises, and ``rsvlm predict`` works without ``--model``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from script_loader import load_script

from rsvlm import geometry
from rsvlm import inference as inf

ASSETS = Path(inf.__file__).resolve().parent / "assets"
SAMPLES = ASSETS / "samples"
SCENE_CLASSES = ("airport", "harbour", "parking lot", "residential", "industrial", "farmland", "forest",
                 "river", "lake", "bare land")
OBJECT_CLASSES = ("plane", "ship", "large vehicle", "small vehicle", "storage tank", "building", "swimming pool")


@pytest.fixture(scope="module")
def default_model():
    return inf.load_model(None, device="cpu")


def ask(model, processor, sample: str, question: str, modality: str | None = None, max_new_tokens: int = 96):
    from rsvlm.predict import ask as predict_ask

    bands = {"sar": ["VV", "VH"]}.get(modality)  # the TIFF reader names unlabelled bands b1, b2, …
    img = inf.read_spec(inf.ImageSpec([str(SAMPLES / sample)], modality, bands))
    answer, scores = predict_ask(model, processor, [img], question, max_new_tokens)
    return answer, img, scores


def test_bundled_files_are_small_safetensors_only():
    root = inf.resolve_model_dir(None)
    assert root == ASSETS / "default_model"
    files = [p for p in root.rglob("*") if p.is_file()]
    size = sum(p.stat().st_size for p in files)
    assert size <= 50 * 2**20, f"bundled model is {size / 2**20:.1f} MB"
    weights = [p for p in files if p.suffix in (".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".pkl")]
    assert weights and all(p.suffix == ".safetensors" for p in weights), weights
    assert not (root / "adapter").exists(), "the shipped LLM must be merged (no base path needed)"
    card = (root / "README.md").read_text()
    assert "synthetic" in card.lower() and "| Task" in card  # says what it was trained on, has the scores table
    assert "{{" not in card, "the model card has an unfilled {{placeholder}}"


def test_samples_match_their_ground_truth():
    gt = json.loads((SAMPLES / "ground_truth.json").read_text())["samples"]
    assert set(gt) == {p.name for p in SAMPLES.iterdir() if p.suffix in (".png", ".tif")}
    for name, info in gt.items():
        img = inf.read_spec(inf.ImageSpec([str(SAMPLES / name)], info["modality"], info["bands"]))
        assert (img.width, img.height) == (info["width"], info["height"])
        assert info["scene_class"] in SCENE_CLASSES
        assert all(o["class"] in OBJECT_CLASSES for o in info["objects"])


def test_samples_are_what_make_samples_writes(tmp_path):
    """The bundled samples come from scripts/make_samples.py with the default model's training
    scene config: a change to the generator or that config must regenerate them."""
    from conftest import load_script

    load_script("make_samples").main(["--out", str(tmp_path)])
    made = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert made == {p.name: p.read_bytes() for p in SAMPLES.iterdir() if p.name in made}
    assert set(made) == {p.name for p in SAMPLES.iterdir()}


def test_cls_answer_is_a_scene_class(default_model):
    model, processor = default_model
    for sample, modality in (("harbour_optical.png", None), ("harbour_sar.tif", "sar"), ("airport_optical.png", None)):
        answer, _, scores = ask(model, processor, sample, "[cls] Classify this scene.", modality)
        assert scores == []  # no shape, no score
        assert answer in SCENE_CLASSES, (sample, answer)


def test_det_and_ground_answers_decode_to_boxes_in_the_image(default_model):
    model, processor = default_model
    # phrasings of the training data; the harbour has three ships, one storage tank, two buildings
    questions = {"det": "[det] Detect all objects.", "ground": "[ground] Show me the storage tank."}
    for task, question in questions.items():
        answer, img, scores = ask(model, processor, "harbour_optical.png", question)
        parsed = geometry.decode(answer, width=img.width, height=img.height)
        assert parsed.problems == [], (task, answer, parsed.problems)
        assert parsed.objects, (task, answer)
        assert len(scores) == len(parsed.objects) and all(0 < s <= 1 for s in scores), (task, scores)
        for o in parsed.objects:
            assert o["kind"] in ("box", "obb"), (task, answer)
            xs = [o["coords"][0], o["coords"][2]] if o["kind"] == "box" else [p[0] for p in o["coords"]]
            assert all(0 <= x <= img.width for x in xs), (task, answer)
            if task == "det":
                assert o["label"] in OBJECT_CLASSES, answer


def test_answer_text_ends_before_a_turn_end_that_shares_a_token_with_it(default_model):
    """The bundled tokenizer writes "None.<|end|>" as "▁None" ".<|" "end" "|>": dropping the
    stop string's tokens leaves "None.<|end"; the answer text is cut in the text instead."""
    from rsvlm.model.vlm import TextStreamer

    model, processor = default_model
    tok = model.tokenizer
    for answer in ("None.", "harbour", "<box><loc_1><loc_2><loc_3><loc_4></box>"):
        ids = tok(answer + processor.stop_strings[0] + "\n", add_special_tokens=False).input_ids
        streamer = TextStreamer(tok, model.eos_ids(), processor.stop_strings)
        assert streamer.answer(ids) == answer
        assert streamer.answer(ids[:-2]) == answer  # cut off inside the stop string
    ids = tok("None." + processor.stop_strings[0], add_special_tokens=False).input_ids
    assert tok.decode(TextStreamer(tok, model.eos_ids(), processor.stop_strings).strip(ids)) != "None."
    for text, shown in (("None." + processor.stop_strings[0], "None."),  # streamed token by token, as chat
                        ("<ref>ship.<|end", "<ref>ship."),  # the limit came inside the stop string
                        ("a <|en b", "a <|en b")):  # a start of one that goes on is shown once it does
        ids, pieces = tok(text, add_special_tokens=False).input_ids, []
        streamer = TextStreamer(tok, model.eos_ids(), processor.stop_strings, on_token=pieces.append)
        for k in range(1, len(ids) + 1):
            streamer.step([ids[:k]])
            assert "<|end" not in "".join(pieces), (text, pieces)
        streamer.flush(ids)
        assert "".join(pieces) == shown


def test_predict_cli_without_model_writes_answer_and_overlay(tmp_path):
    from PIL import Image

    from rsvlm.cli import main

    out, vis = tmp_path / "result.json", tmp_path / "overlay.png"
    rc = main(["predict", "--image", str(SAMPLES / "harbour_optical.png"), "--task", "det",
               "--out", str(out), "--vis", str(vis), "--device", "cpu"])
    assert rc == 0
    result = json.loads(out.read_text())
    assert result["answer"] and result["problems"] == [], result
    assert result["objects"] and all(o["label"] in OBJECT_CLASSES for o in result["objects"])
    with Image.open(vis) as im:
        assert im.size[0] >= 96 and im.size[1] >= 96


# -- building blocks the build relies on (rsvlm.model.llm, rsvlm.train) ------------------------
def test_loc_rows_start_as_a_coordinate_code():
    import torch

    from rsvlm.model.llm import LLMConfig, build_llm

    conf = {"model_type": "llama", "vocab_size": 260, "hidden_size": 64, "intermediate_size": 128,
            "num_hidden_layers": 1, "num_attention_heads": 4, "num_key_value_heads": 2}
    llm, _, ids = build_llm(LLMConfig(config=conf, loc_init="sincos"))
    rows = llm.get_input_embeddings().weight[ids.loc_start: ids.loc_start + 1000]  # (1000,D)
    rows = torch.nn.functional.normalize(rows, dim=1)
    near = (rows[:-1] * rows[1:]).sum(1).mean()  # neighbouring bins
    far = (rows[:500] * rows[500:]).sum(1).mean()  # bins half the image apart
    assert near > 0.9 and far < near - 0.3, (float(near), float(far))
    head = torch.nn.functional.normalize(llm.get_output_embeddings().weight[ids.loc_start: ids.loc_start + 1000], dim=1)
    assert torch.allclose(head, rows, atol=1e-5)  # the untied output rows get the same code
    plain, _, _ = build_llm(LLMConfig(config=conf))
    rows = torch.nn.functional.normalize(plain.get_input_embeddings().weight[ids.loc_start: ids.loc_start + 1000], dim=1)
    assert (rows[:-1] * rows[1:]).sum(1).mean() < 0.5  # the default stays a random init
    with pytest.raises(ValueError, match="loc_init"):
        build_llm(LLMConfig(config=conf, loc_init="linear"))


@pytest.fixture(scope="module")
def synth_set(tmp_path_factory):
    from data_gen.synth.config import SynthConfig
    from data_gen.synth.run import synthesize
    from rsvlm.config import from_dict

    out = tmp_path_factory.mktemp("synth")
    cfg = from_dict(SynthConfig, {"modalities": ["optical", "sar"], "scene": {"size": 32, "max_objects": 3},
                                  "split": {"val": 0.0, "test": 0.0},
                                  "instructions": {"records_per_image": 3, "task_weights": {"cap": 1, "cls": 1}}})
    synthesize(out, 6, 5, cfg, workers=1, progress=False)
    return out / "train.jsonl"


def _tiny(tmp_path, name, *overrides):
    from test_train_utils import recipe

    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig

    return load_config(TrainConfig, recipe(tmp_path, name), ["log.progress=false", *overrides])


def test_clip_with_dense_objective_trains_and_saves_the_encoder(tmp_path, synth_set):
    from safetensors.torch import load_file

    from rsvlm.train.loop import train

    cfg = _tiny(tmp_path, "pretrain_encoder_tiny.yaml", f"data.train={synth_set}", f"out_dir={tmp_path / 'c'}",
                "max_steps=3", "batch_size=8", "clip.dense_weight=1.0")
    summary = train(cfg)
    assert len(summary["dense_losses"]) == 3 and summary["bad_samples"] == 0
    assert all(0 < x < 10 for x in summary["dense_losses"])
    assert any(k.startswith("visual.") for k in load_file(summary["final"]))
    pres = _tiny(tmp_path, "pretrain_encoder_tiny.yaml", f"data.train={synth_set}", f"out_dir={tmp_path / 'p'}",
                 "max_steps=3", "batch_size=8", "clip.dense_weight=1.0", "clip.dense_target=presence",
                 "clip.dense_subgrid=2")
    summary = train(pres)
    assert len(summary["dense_losses"]) == 3 and summary["bad_samples"] == 0
    assert all(0 < x < 12 for x in summary["dense_losses"])  # BCE summed over 12 classes, ~log 2 each at start
    boxes = _tiny(tmp_path, "pretrain_encoder_tiny.yaml", f"data.train={synth_set}", f"out_dir={tmp_path / 'b'}",
                  "max_steps=3", "batch_size=8", "clip.box_weight=1.0")
    summary = train(boxes)
    assert len(summary["box_losses"]) == 3 and summary["dense_losses"] == [] and summary["bad_samples"] == 0
    assert all(0 < x < 10 for x in summary["box_losses"])
    centres = _tiny(tmp_path, "pretrain_encoder_tiny.yaml", f"data.train={synth_set}", f"out_dir={tmp_path / 'k'}",
                    "max_steps=3", "batch_size=8", "clip.center_weight=1.0", "clip.dense_subgrid=2")
    summary = train(centres)
    assert len(summary["center_losses"]) == 3 and summary["box_losses"] == [] and summary["bad_samples"] == 0
    assert all(0 < x < 12 for x in summary["center_losses"])
    with pytest.raises(ValueError, match="box_weight"):
        train(_tiny(tmp_path, "pretrain_encoder_tiny.yaml", f"data.train={synth_set}", "clip.box_weight=-1"))
    with pytest.raises(ValueError, match="center_weight"):
        train(_tiny(tmp_path, "pretrain_encoder_tiny.yaml", f"data.train={synth_set}", "clip.center_weight=-1"))
    bad = _tiny(tmp_path, "pretrain_encoder_tiny.yaml", f"data.train={synth_set}", "clip.dense_weight=-1")
    with pytest.raises(ValueError, match="dense_weight"):
        train(bad)
    with pytest.raises(ValueError, match="dense_subgrid"):
        train(_tiny(tmp_path, "pretrain_encoder_tiny.yaml", f"data.train={synth_set}", "clip.dense_weight=1",
                    "clip.dense_subgrid=0"))


def test_clip_pretraining_resumes_where_it_stopped(tmp_path, synth_set):
    """A run continued from its own step-2 checkpoint draws the same batches and ends with the
    same losses and encoder as the run that was never stopped. It is given another seed, so only
    the checkpoint's weights, optimizer and RNG streams can make it match."""
    import shutil

    import torch
    from safetensors.torch import load_file

    from rsvlm.train.loop import train

    common = [f"data.train={synth_set}", "max_steps=4", "batch_size=8", "clip.dense_weight=1.0", "ckpt.every=2",
              "ckpt.keep=5"]
    whole = train(_tiny(tmp_path, "pretrain_encoder_tiny.yaml", *common, f"out_dir={tmp_path / 'whole'}"))
    assert sorted(p.name for p in (tmp_path / "whole" / "checkpoints").iterdir()) == ["step_000002", "step_000004"]  # and at the end (730cdfa)
    (tmp_path / "cont" / "checkpoints").mkdir(parents=True)
    shutil.copytree(tmp_path / "whole" / "checkpoints" / "step_000002", tmp_path / "cont" / "checkpoints" / "step_000002")
    cont = train(_tiny(tmp_path, "pretrain_encoder_tiny.yaml", *common, f"out_dir={tmp_path / 'cont'}",
                       "ckpt.resume=auto", "seed=7"))
    assert len(cont["losses"]) == 4 and cont["steps_this_run"] == 2
    torch.testing.assert_close(torch.tensor(cont["losses"]), torch.tensor(whole["losses"]), rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(torch.tensor(cont["dense_losses"]), torch.tensor(whole["dense_losses"]),
                               rtol=1e-4, atol=1e-5)
    a, b = load_file(whole["final"]), load_file(cont["final"])
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(b[k], a[k], rtol=1e-4, atol=1e-5)
    with pytest.raises(FileNotFoundError, match="no checkpoint folder"):
        train(_tiny(tmp_path, "pretrain_encoder_tiny.yaml", *common, f"out_dir={tmp_path / 'x'}",
                    f"ckpt.resume={tmp_path / 'nowhere'}"))


def test_init_from_starts_the_vision_side_from_a_previous_stage(tmp_path, synth_set):
    from safetensors.torch import load_file

    from rsvlm.train.loop import train

    common = [f"data.train={synth_set}", "max_steps=1", "batch_size=4"]
    a = train(_tiny(tmp_path, "sft_tiny.yaml", *common, f"out_dir={tmp_path / 'a'}", "seed=1"))
    b = train(_tiny(tmp_path, "sft_tiny.yaml", *common, f"out_dir={tmp_path / 'b'}", "seed=2", "optim.lr=0",
                    f"init_from={a['final']}"))
    va, vb = load_file(f"{a['final']}/vision.safetensors"), load_file(f"{b['final']}/vision.safetensors")
    assert va.keys() == vb.keys() and all(va[k].equal(vb[k]) for k in va)  # lr 0: b kept a's weights
    c = train(_tiny(tmp_path, "sft_tiny.yaml", *common, f"out_dir={tmp_path / 'c'}", "seed=2", "optim.lr=0"))
    vc = load_file(f"{c['final']}/vision.safetensors")
    assert not all(va[k].equal(vc[k]) for k in va)  # without init_from the seed decides
    with pytest.raises(FileNotFoundError, match="init_from"):
        train(_tiny(tmp_path, "sft_tiny.yaml", *common, f"out_dir={tmp_path / 'd'}", f"init_from={tmp_path / 'none'}"))
    # a tower of twice the input size: the learned position table is resized to its 8×8 grid
    import torch

    from rsvlm.model.vision import interpolate_pos_embed

    e = train(_tiny(tmp_path, "sft_tiny.yaml", *common, f"out_dir={tmp_path / 'e'}", "optim.lr=0",
                    f"init_from={a['final']}", "model.encoders.default.image_size=64"))
    ve, key = load_file(f"{e['final']}/vision.safetensors"), "encoders.default.visual.positional_embedding"
    assert va[key].shape == (17, 64) and ve[key].shape == (65, 64)
    torch.testing.assert_close(ve[key], interpolate_pos_embed(va[key], (4, 4), (8, 8)))
    # any other shape difference is refused, naming the tensor
    with pytest.raises(ValueError, match=r"another shape.*conv1"):
        train(_tiny(tmp_path, "sft_tiny.yaml", *common, f"out_dir={tmp_path / 'f'}", f"init_from={a['final']}",
                    "model.encoders.default.patch_size=16"))


def test_teacher_forced_location_error_counts_every_location_token(tmp_path):
    """eval.loc_error on the bundled model: every <loc_N> of the answers is scored once, and the
    centre baseline is exactly mean |bin − 500| of those bins."""
    from eval.loc_error import location_errors

    boxes = {"ground": [120, 610, 250, 760], "det": [10, 20, 990, 980]}
    recs = []
    for task, b in boxes.items():
        answer = ("<ref>ship</ref>" if task == "det" else "") + "<box>" + "".join(f"<loc_{v}>" for v in b) + "</box>"
        recs.append({"id": f"r-{task}", "task": task, "images": [{"path": str(SAMPLES / "harbour_optical.png"),
                                                                   "modality": "optical"}],
                     "conversations": [{"from": "human", "value": f"<image>\n[{task}] Where is the ship?"},
                                       {"from": "gpt", "value": answer}]})
    recs.append({"id": "r-cls", "task": "cls", "images": recs[0]["images"],
                 "conversations": [{"from": "human", "value": "<image>\n[cls] Scene?"}, {"from": "gpt", "value": "harbour"}]})
    path = tmp_path / "t.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    model, processor = inf.load_model(None, device="cpu")
    res = location_errors(model, processor, path, {"ground", "det"}, batch_size=2)
    assert res["all"]["n"] == 8 and res["task:ground"]["n"] == 4 and res["task:det"]["n"] == 4
    for task, b in boxes.items():
        assert res[f"task:{task}"]["centre_mae_bins"] == pytest.approx(sum(abs(v - 500) for v in b) / 4, abs=0.01)
        assert 0 <= res[f"task:{task}"]["mae_bins"] <= 999 and 0 <= res[f"task:{task}"]["within10"] <= 1
    with pytest.raises(ValueError, match="no record of task"):
        location_errors(model, processor, path, {"seg"})


def test_shuffle_images_control_gives_every_record_another_scenes_images(tmp_path):
    """eval.loc_error --shuffle-images: images move only within a modality and task, never stay
    with their record, answers stay; a group of one cannot be shuffled and says so."""
    from eval.loc_error import location_errors, shuffle_images

    def rec(i, scene, mod, task):
        return json.dumps({"id": f"r{i}", "task": task, "images": [{"path": f"{scene}_{mod}.png", "modality": mod}],
                           "conversations": [{"from": "human", "value": "<image>\nq"}, {"from": "gpt", "value": f"a{i}"}]})

    recs = [rec(i, f"s{i // 2}", mod, task) for i, (mod, task) in
            enumerate([(m, t) for m in ("optical", "sar") for t in ("ground", "det")] * 4)]
    out = [json.loads(r) for r in shuffle_images(recs, seed=3)]
    before = [json.loads(r) for r in recs]
    for a, b in zip(before, out):
        assert b["conversations"] == a["conversations"] and b["images"] != a["images"]
        assert b["images"][0]["modality"] == a["images"][0]["modality"]
    for key in {(r["images"][0]["modality"], r["task"]) for r in before}:  # a permutation within each group
        group = [r for r in before if (r["images"][0]["modality"], r["task"]) == key]
        moved = [o for r, o in zip(before, out) if (r["images"][0]["modality"], r["task"]) == key]
        assert sorted(r["images"][0]["path"] for r in group) == sorted(o["images"][0]["path"] for o in moved)
    assert shuffle_images(recs, seed=3) == shuffle_images(recs, seed=3)
    with pytest.raises(ValueError, match="another scene"):
        shuffle_images(recs[:1], seed=0)

    # end to end on the bundled model: two scenes, the same answers, the images exchanged
    boxes = [[120, 610, 250, 760], [700, 100, 820, 260]]
    path = tmp_path / "t.jsonl"
    path.write_text("".join(json.dumps({
        "id": f"g{i}", "task": "ground", "images": [{"path": str(SAMPLES / img), "modality": "optical"}],
        "conversations": [{"from": "human", "value": "<image>\n[ground] Where is the ship?"},
                          {"from": "gpt", "value": "<box>" + "".join(f"<loc_{v}>" for v in b) + "</box>"}]}) + "\n"
        for i, (img, b) in enumerate(zip(["harbour_optical.png", "airport_optical.png"], boxes))))
    model, processor = inf.load_model(None, device="cpu")
    real = location_errors(model, processor, path, {"ground"}, batch_size=2)
    shuf = location_errors(model, processor, path, {"ground"}, batch_size=2, shuffle_seed=0)
    assert real["all"]["n"] == shuf["all"]["n"] == 8
    assert real["all"]["centre_mae_bins"] == shuf["all"]["centre_mae_bins"]  # same answers
    assert real["all"]["mae_expected_bins"] != shuf["all"]["mae_expected_bins"]  # other pixels, other logits


def _build_script(monkeypatch):
    return load_script("build_default_model", monkeypatch)


def test_build_stages_chain_each_checkpoint_into_the_next(tmp_path, monkeypatch):
    """Every training stage's YAML loads and validates, and the build feeds each stage the checkpoint
    of the one before: the grounding warm-up reads its own single-object data and starts from
    alignment, the multi-object grounding stage reads its own data and starts from the warm-up, the
    optical stage starts from that; the instruction stages keep the encoder frozen and the position
    code on."""
    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig, check_config

    b = _build_script(monkeypatch)
    assert b.TRAIN_STAGES == ("pretrain_encoder", "align", "ground_warmup", "ground_multi", "sft_optical",
                              "sft_multisensor", "sft_chat")
    # the conversation stage trains on the merged multi-sensor model, and its merge is what ships
    assert list(b.STAGES)[-5:] == ["merge", "sft_chat", "merge_chat", "eval", "eval_tta"]
    prev = None
    for name in b.TRAIN_STAGES:
        ov = dict(o.split("=", 1) for o in b.stage_overrides(name, tmp_path))
        own = load_config(TrainConfig, b.CONFIGS / f"{name}.yaml", [])
        ov.update(o.split("=", 1) for o in b.extra_sources(own.data.extra, tmp_path))
        cfg = load_config(TrainConfig, b.CONFIGS / f"{name}.yaml", [f"{k}={v}" for k, v in ov.items()])
        check_config(cfg)
        data = {"ground_warmup": "warmup", "ground_multi": "multi"}.get(name, "train")
        assert cfg.data.train == str(tmp_path / "data" / data / "train.jsonl")
        extra = {src.path: src.weight for src in cfg.data.extra}
        if name == "sft_optical":  # the crowded scenes of ground_multi stay in its mix, down-weighted
            assert list(extra) == [str(tmp_path / "data" / "multi" / "train.jsonl")]
            assert 0 < extra[str(tmp_path / "data" / "multi" / "train.jsonl")] < 1
        elif name == "sft_chat":  # the multi-turn conversations the data stage writes
            assert list(extra) == [str(tmp_path / "data" / "train" / "chat.jsonl")]
            assert cfg.model.trainable.llm == "lora" and cfg.model.trainable.projector == "frozen"
            assert cfg.init_from == str(tmp_path / "merged")  # sft_multisensor's final is an adapter
            assert cfg.model.llm.name_or_path == str(tmp_path / "merged" / "llm")
        else:
            assert not extra
        if prev in ("align", "ground_warmup", "ground_multi", "sft_optical"):
            assert cfg.init_from == str(tmp_path / prev / "final")
            assert cfg.model.llm.name_or_path == str(tmp_path / prev / "final" / "llm")
        if name != "pretrain_encoder":
            assert cfg.model.trainable.encoder == "frozen"
            assert cfg.model.projector.pos_code == "loc2d"
        prev = name
    assert b.relocate("/data/elsewhere.jsonl", tmp_path) == "/data/elsewhere.jsonl"
    bc = load_config(b.BuildConfig, b.CONFIGS / "build.yaml", [])
    assert len({bc.train_seed, bc.warmup_seed, bc.multi_seed, bc.test_seed}) == 4
    for key in ("warmup_seed", "multi_seed"):
        clash = load_config(b.BuildConfig, b.CONFIGS / "build.yaml", [f"{key}={bc.test_seed}"])
        with pytest.raises(ValueError, match="test seed"):
            b.stage_data(tmp_path, clash, 1.0)  # refused before any scene is generated


def test_loading_a_merged_model_imports_neither_peft_nor_bitsandbytes():
    """peft imports bitsandbytes, which warns on every command on CPUs without its kernels: a model
    with no adapter and no quantisation must not pull either in."""
    import subprocess

    code = ("import sys; from rsvlm import inference as inf; inf.load_model(None, device='cpu'); "
            "print(sorted(m for m in ('peft', 'bitsandbytes') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout
    assert "kernels" not in out.stderr


def test_predict_min_score_drops_the_less_confident_objects(tmp_path):
    from rsvlm.cli import main

    def run(*extra):
        out = tmp_path / f"r{len(extra)}.json"
        rc = main(["predict", "--image", str(SAMPLES / "harbour_optical.png"), "--task", "det", "--device", "cpu",
                   "--out", str(out), *extra])
        assert rc == 0
        return json.loads(out.read_text())["objects"]

    every = run()
    scores = sorted(o["score"] for o in every)
    assert len(scores) >= 2 and scores[0] < scores[-1], scores  # the sample gives boxes of differing confidence
    cut = (scores[0] + scores[-1]) / 2
    kept = run("--min-score", str(cut))
    assert [o["score"] for o in kept] == [o["score"] for o in every if o["score"] >= cut]


def test_a_chat_asks_each_question_as_a_first_turn_about_the_image(default_model):
    # the model answers a first turn far better than a later one (scene class 0.94 against 0.06 in
    # the 6th-8th turn of a chat shown every earlier exchange), so its config asks every question afresh
    from rsvlm.model import ChatSession
    from rsvlm.predict import ask as predict_ask

    model, processor = default_model
    assert processor.prompt.max_history == 0
    img = inf.read_spec(inf.ImageSpec([str(SAMPLES / "airport_optical.png")], None, None))
    chat = ChatSession(model, processor, max_new_tokens=24)
    questions = ["[cls] What is the scene category?", "[count] How many planes are there?",
                 "[vqa] Is there a ship?"]
    answers = [chat.ask(questions[t % 3], images=[inf.model_input(img)] if t == 0 else None) for t in range(9)]
    first = [predict_ask(model, processor, [img], q, 24)[0] for q in questions]  # each asked alone
    assert answers == first * 3 and answers[0] in SCENE_CLASSES
    assert all(s["images_encoded"] == 0 for s in chat.stats[1:])  # the image was encoded once
