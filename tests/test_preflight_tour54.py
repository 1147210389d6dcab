"""Tour 54 of training's preflight: bad configs refused before a run builds or writes anything (exit 2,
the key named), not found mid-run."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from test_model_checks53 import train_sft

from rsvlm.config import load_config
from rsvlm.model import llm, stem
from rsvlm.model.vlm import VLMConfig

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "configs/model/tiny.yaml"


def test_a_stem_with_an_unknown_interpolation_is_refused_when_built():
    """It was built, then every image was refused at its first resize (a bad sample each)."""
    with pytest.raises(ValueError, match=r"stem 'optical': interpolation must be one of \('bilinear', 'bicubic'\), "
                                         r"got 'nearest'"):
        stem.Stem(stem.StemConfig(interpolation="nearest"), width=8)
    assert stem.Stem(stem.StemConfig(interpolation="bilinear"), width=8).modality == "optical"


@pytest.mark.parametrize("field,value,says", [("loc_init", "zeros", "llm.loc_init must be 'random' or 'sincos'"),
                                              ("pad_vocab_multiple", 0, "llm.pad_vocab_multiple must be >= 1")])
def test_build_llm_refuses_a_bad_value_before_it_loads_anything(tmp_path, field, value, says):
    """Both were checked once the LLM had been loaded or built (minutes for a 7B model): a folder that is
    not there shows that the check now comes first."""
    cfg = replace(load_config(VLMConfig, TINY).llm, name_or_path=str(tmp_path / "no_model"), config=None,
                  **{field: value})
    with pytest.raises(ValueError, match=says):
        llm.build_llm(cfg)
    with pytest.raises(FileNotFoundError, match="no_model not found"):  # the same config, the value put right
        llm.build_llm(replace(cfg, loc_init="random", pad_vocab_multiple=1))


class _Stop(Exception):
    pass


def test_train_runs_preflight_unless_told_it_has_run(monkeypatch):
    """``rsvlm train`` runs preflight itself (its exit status 2) and then ``train``, which ran it again;
    ``checked=True`` says it has run. Stopped where the run would start its processes."""
    from rsvlm.train import loop
    from rsvlm.train.config import TrainConfig

    calls = []
    monkeypatch.setattr(loop, "preflight", lambda cfg, scans=None, expanded=False: calls.append(cfg))

    def stop(*_a, **_k):
        raise _Stop

    monkeypatch.setattr(loop, "setup_distributed", stop)
    cfg = TrainConfig()
    with pytest.raises(_Stop):
        loop.train(cfg, checked=True)
    assert calls == []
    with pytest.raises(_Stop):
        loop.train(cfg)
    assert calls == [cfg]


SFT = str(REPO / "configs/train/sft_tiny.yaml")


def _checkpoint_like(root: Path) -> Path:
    """An rsvlm checkpoint's layout (llm/ in Hugging Face layout, tokenizer/), the files all but empty."""
    import torch
    from safetensors.torch import save_file

    (root / "llm").mkdir(parents=True)
    (root / "tokenizer").mkdir()
    for name in ("llm/config.json", "tokenizer/tokenizer.json", "config.yaml"):
        (root / name).write_text("{}")
    save_file({"w": torch.zeros(4, 4)}, str(root / "llm/model.safetensors"))
    return root


@pytest.mark.parametrize("case,says", [
    ("empty_llm", "model.llm.name_or_path: {tmp}/empty holds no Hugging Face model: no config.json and no "
                  "model.safetensors or model.safetensors.index.json"),
    ("checkpoint_llm", "holds no Hugging Face model: no config.json and no model.safetensors or "
                       "model.safetensors.index.json or pytorch_model.bin or pytorch_model.bin.index.json; "
                       "{tmp}/ck is an rsvlm checkpoint, whose LLM is {tmp}/ck/llm"),
    ("no_tokenizer", "model.llm.name_or_path: {tmp}/ck/llm holds no tokenizer (tokenizer.json, tokenizer.model, "
                     "vocab.json, …); give model.llm.tokenizer (its checkpoint's is {tmp}/ck/tokenizer)"),
    ("checkpoint_tokenizer", "model.llm.tokenizer: {tmp}/ck holds no tokenizer (tokenizer.json, tokenizer.model, "
                             "vocab.json, …); {tmp}/ck is an rsvlm checkpoint, whose tokenizer is {tmp}/ck/tokenizer"),
    ("llm_file", "model.llm.name_or_path: {tmp}/ck/config.yaml is a file; give the folder it is in"),
    ("encoder", "encoder pretrained: {tmp}/empty is a folder, not a file (model.encoders.sar.pretrained: an "
                "open_clip-layout safetensors or torch state dict file)"),
])
def test_a_local_model_file_that_is_not_there_is_refused_before_the_run(sft_record, tmp_path, capsys, case, says):
    """Each exited 1 after out_dir/train_config.yaml was written, with transformers' 'Unrecognized model in …
    Should have a `model_type` key' or a page on converting slow tokenizers; now exit 2, the key named."""
    (tmp_path / "empty").mkdir()
    ck = _checkpoint_like(tmp_path / "ck")
    overrides = {
        "empty_llm": [f"model.llm.name_or_path={tmp_path / 'empty'}", "model.llm.config=null"],
        "checkpoint_llm": [f"model.llm.name_or_path={ck}", "model.llm.config=null"],
        "no_tokenizer": [f"model.llm.name_or_path={ck / 'llm'}", "model.llm.config=null"],
        "checkpoint_tokenizer": [f"model.llm.tokenizer={ck}"],
        "llm_file": [f"model.llm.name_or_path={ck / 'config.yaml'}", "model.llm.config=null"],
        "encoder": [f"model.encoders.sar.pretrained={tmp_path / 'empty'}"],
    }[case]
    out = tmp_path / "run"
    assert train_sft(sft_record, out, *overrides) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and says.format(tmp=tmp_path) in err[0], err
    assert not out.exists()


def test_the_checkpoints_own_llm_and_tokenizer_pass(sft_record, tmp_path):
    from rsvlm.model.checks import check_model_files
    from rsvlm.train.config import TrainConfig

    ck = _checkpoint_like(tmp_path / "ck")
    cfg = load_config(TrainConfig, SFT, [f"model.llm.name_or_path={ck / 'llm'}", "model.llm.config=null",
                                         f"model.llm.tokenizer={ck / 'tokenizer'}"])
    assert check_model_files(cfg.model) is None
    (ck / "llm/model.safetensors").unlink()
    with pytest.raises(FileNotFoundError, match="no model.safetensors or"):
        check_model_files(cfg.model)
    assert check_model_files(cfg.model, lm=False) is None  # a contrastive run builds no LLM


def test_build_llm_names_the_key_for_a_folder_without_a_model(tmp_path):
    """Loading a model outside training (chat, eval) said "Unrecognized model in DIR. Should have a
    `model_type` key in its config.json"."""
    cfg = replace(load_config(VLMConfig, TINY).llm, name_or_path=str(tmp_path), config=None)
    with pytest.raises(FileNotFoundError, match=r"^llm\.name_or_path: .* holds no Hugging Face model: no config\.json"):
        llm.build_llm(cfg)


def test_max_length_that_cannot_hold_one_image_is_refused_before_the_run(sft_record, tmp_path, capsys):
    """Every sample was cut inside its image and skipped as bad: found once the run was 50 samples in
    (TooManyBadSamples, exit 1); now preflight counts the image tokens from the config (exit 2)."""
    out = tmp_path / "run"
    assert train_sft(sft_record, out, "data.max_length=16") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and ("data.max_length=16 cannot hold one image and an answer: one image is 16 or more tokens "
                              "before any text (optical 16, msi 16, sar 16, ir 16)") in err[0], err
    assert not out.exists()


@pytest.mark.parametrize("overrides", [[], ["model.projector.pool=2"], ["model.encoders.sar.image_size=64"]])
def test_preflight_counts_image_tokens_as_the_built_model_does(overrides):
    from rsvlm.model import create_model
    from rsvlm.model.checks import image_tokens
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.max_length import check_max_length

    cfg = load_config(TrainConfig, SFT, ["data.max_length=17", *overrides])
    _, processor = create_model(cfg.model, device="meta")
    assert image_tokens(cfg.model) == processor.n_tokens
    assert check_max_length(cfg) == processor.n_tokens  # one modality fits: the run is not refused


@pytest.fixture(scope="module")
def tiny_processor():
    from rsvlm.model import create_model
    from rsvlm.train.config import TrainConfig

    cfg = load_config(TrainConfig, SFT, ["model.encoders.sar.image_size=96"])  # sar: 144 image tokens
    return cfg, create_model(cfg.model, device="meta")[1]


def _index(mods: list[str], system: int = 0):
    from datasets import Dataset

    recs = ['{"id": "r", "conversations": [{"from": "system", "value": ""}]}' if i < system else '{"id": "r"}'
            for i in range(len(mods))]
    return Dataset.from_dict({"record": recs, "modality": mods, "id": [f"r{i}" for i in range(len(mods))],
                              "length": [0] * len(mods)})  # as build_index's columns (check_unfit reads them)


def test_records_whose_prompt_and_image_cannot_fit_are_counted_before_the_first_step(tiny_processor, capsys):
    """An image that fits but whose prompt around it does not (the rsvlm template's system prompt is 120
    tokens of the byte tokenizer) was a bad sample each, found mid-run; now named before the first step."""
    from rsvlm.train.max_length import check_unfit, shortest_sample, unfit_records

    cfg, processor = tiny_processor
    optical, sar = (shortest_sample(processor, cfg.model.prompt, m) for m in ("optical", "sar"))
    assert optical > processor.n_tokens["optical"] + 100 and sar > optical + 100  # sar: 144 image tokens, optical 16
    import torch

    from rsvlm.data.conversation import record_messages
    from rsvlm.model.processor import Pixels
    from rsvlm.train.data import encode_sample

    shortest = record_messages({"images": [{"modality": "optical"}], "conversations": [
        {"from": "human", "value": "<image>"}, {"from": "gpt", "value": "x"}]}, cfg.model.prompt)
    assert len(encode_sample(processor, shortest, [Pixels(torch.empty(0), "optical")], optical)["input_ids"]) == optical
    with pytest.raises(ValueError, match="no assistant token left"):  # the data path's own verdict, one token less
        encode_sample(processor, shortest, [Pixels(torch.empty(0), "optical")], optical - 1)
    mods = ["optical"] * 6 + ["optical+sar", "sar"]
    assert unfit_records(_index(mods), processor, cfg.model.prompt, sar) == {}
    assert unfit_records(_index(mods), processor, cfg.model.prompt, sar - 1) == {"sar": 2}
    assert unfit_records(_index(mods), processor, cfg.model.prompt, optical - 1) == {"optical": 7, "sar": 1}
    # a record's own system turn replaces the model's system prompt: it may be shorter, so it is not counted
    assert unfit_records(_index(mods, system=6), processor, cfg.model.prompt, optical - 1) == {
        "optical": 1, "sar": 1}

    cfg.data.max_length = sar - 1
    cfg.data.max_bad_fraction = 0.5  # 2 of 8 records: a warning, and the run goes on
    check_unfit(_index(mods), processor, cfg, rank=0)
    err = capsys.readouterr().err
    assert (f"warning: 2 of 8 records cannot fit data.max_length={sar - 1}: 2 sar records, whose shortest sample "
            f"runs {sar} tokens (144 of them the image) before its answer; each would be skipped") in err, err
    check_unfit(_index(mods), processor, cfg, rank=1)
    assert capsys.readouterr().err == ""  # said once, by rank 0
    cfg.data.max_bad_fraction = 0.2
    with pytest.raises(ValueError, match=r"^2 of 8 records cannot fit .*, more than data\.max_bad_fraction=0\.2: "
                                         r"raise data\.max_length"):
        check_unfit(_index(mods), processor, cfg, rank=0)


def test_a_run_whose_records_cannot_fit_stops_before_its_first_step(tmp_path, capsys):
    """data.max_length=17 holds an optical image (16 tokens) but not the prompt around it: every sample was
    skipped as bad until the 50th, then TooManyBadSamples; now the run stops once the data is read."""
    from test_train_utils import make_records

    data = make_records(tmp_path / "d", n=4, ir_every=0)
    out = tmp_path / "run"
    assert train_sft(data, out, "data.max_length=17", "max_steps=1", "optim.warmup_steps=0") == 2  # before the build
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("rsvlm train: UnfitRecords: 4 of 4 records cannot fit data.max_length=17: 4 optical "
                              "records, whose shortest sample runs"), err
    assert not (out / "metrics.jsonl").exists() and not (out / "final").exists()


@pytest.mark.parametrize("warm,steps,schedule,says", [
    (2, 2, "cosine", "optim.warmup_steps=2 is not below max_steps=2: the whole run is warm-up, its LR rising to "
                     "0.000667 at the last step, never to optim.lr=0.001, and the cosine decay never starts"),
    (1, 1, "constant", "optim.warmup_steps=1 is not below max_steps=1: the whole run is warm-up, its LR rising to "
                       "0.0005 at the last step, never to optim.lr=0.001\n"),
    (1, 2, "cosine", "optim.warmup_steps=1 with max_steps=2: the warm-up ends at the last step, which runs at "
                     "optim.lr=0.001; the cosine decay never starts"),
    (1, 2, "constant", None), (1, 3, "cosine", None), (0, 1, "cosine", None)])
def test_a_run_no_longer_than_its_warm_up_says_so_once(warm, steps, schedule, says, capsys):
    """The rates are the schedule's (``lr_lambda``: (step+1)/(warm+1) while warming up, as metrics.jsonl logs
    them). warm-up 1 of 2 cosine steps said nothing: its LR reached optim.lr at the last step and never decayed."""
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.run import lr_lambda, note_schedule

    cfg = load_config(TrainConfig, SFT, [f"optim.warmup_steps={warm}", f"max_steps={steps}", "optim.lr=0.001",
                                         f"optim.schedule={schedule}"])
    note_schedule(cfg, rank=0)
    err = capsys.readouterr().err
    assert (err == "") if says is None else (err.count("warning") == 1 and says in err), err
    if warm == steps - 1:
        assert lr_lambda(cfg)(steps - 1) == 1.0  # the last step: optim.lr itself
    note_schedule(cfg, rank=1)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("root", ["nothere", "file.txt"])
@pytest.mark.parametrize("key", ["data.root", "data.extra"])
def test_an_image_root_that_is_no_folder_is_refused_before_the_run(sft_record, tmp_path, capsys, root, key):
    """Every image was 'not found', a bad sample each, until TooManyBadSamples 50 samples in (exit 1)."""
    (tmp_path / "file.txt").write_text("")
    given = tmp_path / root
    override = (f"data.root={given}" if key == "data.root" else f"data.extra=[{{path: {sft_record}, root: {given}}}]")
    out = tmp_path / "run"
    assert train_sft(sft_record, out, override) == 2
    err = capsys.readouterr().err.strip().splitlines()
    name = "data.root" if key == "data.root" else "data.extra[0].root"
    assert len(err) == 1 and f"{name}: {given} is {'not there' if root == 'nothere' else 'a file'}; give the folder" \
        in err[0], err
    assert not out.exists()


@pytest.mark.parametrize("content,says", [
    (None, "dist.deepspeed: DeepSpeed config not found: {path}"),
    ("{\"train_batch_size\": ", "dist.deepspeed: {path}: not valid JSON"),
    ("{\"train_micro_batch_size_per_gpu\": 3}", "dist.deepspeed: {path}: DeepSpeed config sets "
                                                "train_micro_batch_size_per_gpu=3 but the training config gives 4"),
])
def test_a_deepspeed_config_it_cannot_use_is_refused_before_the_run(sft_record, tmp_path, capsys, monkeypatch,
                                                                       content, says):
    """Under a launcher these were found once the model had been built (exit 1, on every rank)."""
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "1")
    path = tmp_path / "ds.json"
    if content is not None:
        path.write_text(content)
    out = tmp_path / "run"
    assert train_sft(sft_record, out, f"dist.deepspeed={path}", "batch_size=4") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and says.format(path=path) in err[0], err
    assert not out.exists()


def test_a_hub_name_offline_must_be_in_the_cache(monkeypatch, tmp_path):
    """Offline, a hub name not in the cache was transformers' OSError ('We couldn't connect to
    https://huggingface.co'), exit 1 once out_dir was written; online it is left to transformers."""
    import huggingface_hub

    from rsvlm.model.checks import check_model_files
    from rsvlm.train.config import TrainConfig

    cfg = load_config(TrainConfig, SFT, ["model.llm.name_or_path=nobody/no-such-llm", "model.llm.config=null"])
    monkeypatch.setattr(huggingface_hub, "is_offline_mode", lambda: True)
    with pytest.raises(FileNotFoundError, match=r"^model\.llm\.name_or_path: nobody/no-such-llm is a hub name \(no such "
                                                r"local folder\) whose files are not in the Hugging Face cache, and "
                                                r"HF_HUB_OFFLINE is set"):
        check_model_files(cfg.model)
    monkeypatch.setattr(huggingface_hub, "is_offline_mode", lambda: False)
    assert check_model_files(cfg.model) is None


@pytest.mark.parametrize("key", ["init_from", "pretrained"])
def test_a_weights_file_cut_short_is_refused_before_the_run(sft_record, tmp_path, capsys, key):
    """A safetensors file cut short (a copy that stopped): init_from's was a SafetensorError traceback, an
    encoder's pretrained a ValueError, once the model was built (exit 1, out_dir written); safetensors'
    header check finds it up front."""
    import torch
    from safetensors.torch import save_file

    src = tmp_path / "stage1"
    src.mkdir()
    save_file({"stems.optical.mix": torch.zeros(3, 3)}, str(src / "vision.safetensors"))
    whole = (src / "vision.safetensors").read_bytes()
    (src / "vision.safetensors").write_bytes(whole[:-8])
    out = tmp_path / "run"
    given, name = ((f"init_from={src}", "init_from") if key == "init_from" else
                   (f"model.encoders.default.pretrained={src / 'vision.safetensors'}", "model.encoders.default.pretrained"))
    assert train_sft(sft_record, out, given) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{name}: {src / 'vision.safetensors'}: not a readable safetensors file (" in err[0] \
        and "was it cut short?" in err[0], err
    assert not out.exists()
    if key == "pretrained":
        return
    from rsvlm.train.loop import init_vision  # the loader says the same in its words, without a traceback

    with pytest.raises(ValueError, match="not a readable safetensors file"):
        init_vision(None, src)


@pytest.mark.parametrize("case", ["cut", "shard"])
def test_an_llm_whose_weights_are_cut_or_missing_a_shard_is_refused_before_the_run(tmp_path, case):
    """A download that stopped: transformers' error came once out_dir was written (exit 1)."""
    import json

    from rsvlm.model.checks import check_model_files
    from rsvlm.train.config import TrainConfig

    ck = _checkpoint_like(tmp_path / "ck")
    llm_dir = ck / "llm"
    cfg = load_config(TrainConfig, SFT, [f"model.llm.name_or_path={llm_dir}", "model.llm.config=null",
                                         f"model.llm.tokenizer={ck / 'tokenizer'}"])
    assert check_model_files(cfg.model) is None
    if case == "cut":
        (llm_dir / "model.safetensors").write_bytes((llm_dir / "model.safetensors").read_bytes()[:-8])
        with pytest.raises(ValueError, match=rf"^model\.llm\.name_or_path: {llm_dir / 'model.safetensors'}: not a "
                                             "readable safetensors file"):
            check_model_files(cfg.model)
    else:
        (llm_dir / "model.safetensors").rename(llm_dir / "model-00001-of-00002.safetensors")
        (llm_dir / "model.safetensors.index.json").write_text(json.dumps({"weight_map": {
            "w": "model-00001-of-00002.safetensors", "v": "model-00002-of-00002.safetensors"}}))
        with pytest.raises(FileNotFoundError, match=r"^model\.llm\.name_or_path: .*1 weight shard that "
                                                    r"model\.safetensors\.index\.json lists is missing: "
                                                    r"model-00002-of-00002\.safetensors"):
            check_model_files(cfg.model)


@pytest.mark.parametrize("overrides,says", [
    (["model.llm.target_modules=[q_prj,v_proj]"],  # the override named since stop 79
     "override 'model.llm.target_modules=[q_prj,v_proj]' (command line): model.llm.target_modules: ['q_prj'] match no module of this LlamaForCausalLM; its linear layers are"),
    (["model.trainable.encoder=lora", "model.encoders.sar.lora_target_modules=[fc1]"],
     "override 'model.encoders.sar.lora_target_modules=[fc1]' (command line): "
     "model.encoders.sar.lora_target_modules: ['fc1'] match no module of this OpenClipEncoder; its linear layers are "
     "['c_fc', 'c_proj']"),  # attn.out_proj: nn.MultiheadAttention reads its weight, a LoRA there is never used
])
def test_a_lora_target_that_matches_no_module_is_refused_before_the_run(sft_record, tmp_path, capsys, overrides, says):
    """Found once the model had been loaded (minutes for a 7B LLM), exit 1 with out_dir written; the part
    built on the meta device (no weights) shows it up front."""
    out = tmp_path / "run"
    assert train_sft(sft_record, out, *overrides) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"rsvlm train: {says}"), err
    assert not out.exists()


def test_lora_targets_that_match_pass_and_a_frozen_part_is_not_looked_at():
    from rsvlm.model.checks import check_lora_names
    from rsvlm.train.config import TrainConfig

    cfg = load_config(TrainConfig, SFT, ["model.trainable.encoder=lora"])
    checked = check_lora_names(cfg.model)  # no error; the meta LLM it checked comes back (6ddcf4b), for reuse
    assert checked is not None and next(checked.parameters()).is_meta
    cfg = load_config(TrainConfig, SFT, ["model.trainable.llm=frozen", "model.llm.target_modules=[nothing]",
                                         "model.encoders.sar.lora_target_modules=[nothing]"])
    assert check_lora_names(cfg.model) is None


def test_an_llm_config_json_that_cannot_be_read_is_one_line_naming_the_key(sft_record, tmp_path, capsys):
    ck = _checkpoint_like(tmp_path / "ck")
    (ck / "llm/config.json").write_text('{"model_type": ')  # cut short
    out = tmp_path / "run"
    assert train_sft(sft_record, out, f"model.llm.name_or_path={ck / 'llm'}", "model.llm.config=null",
                  f"model.llm.tokenizer={ck / 'tokenizer'}") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"model.llm.name_or_path {ck / 'llm'}: cannot be read (OSError: " in err[0], err


@pytest.mark.parametrize("template", ["file", "config", None])
def test_an_answer_lead_with_the_tokenizers_own_template_is_refused_before_the_run(sft_record, tmp_path, capsys,
                                                                                    template):
    """The processor refused it once the model was loaded (exit 1, out_dir written)."""
    import json

    ck = _checkpoint_like(tmp_path / "ck")
    tok = ck / "tokenizer"
    if template == "file":
        (tok / "chat_template.jinja").write_text("{{ messages }}")
    elif template == "config":
        (tok / "tokenizer_config.json").write_text(json.dumps({"chat_template": "{{ messages }}"}))
    overrides = [f"model.llm.name_or_path={ck / 'llm'}", "model.llm.config=null", f"model.llm.tokenizer={tok}",
                 "model.llm.chat_template=null", "model.prompt.answer_lead=' '", "model.trainable.llm=frozen"]
    from rsvlm.model.checks import check_model_files
    from rsvlm.train.config import TrainConfig

    cfg = load_config(TrainConfig, SFT, overrides)
    if template is None:  # the registry's rsvlm template is used, which takes the lead
        assert check_model_files(cfg.model) is None
        return
    out = tmp_path / "run"
    assert train_sft(sft_record, out, *overrides) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and (f"model.prompt.answer_lead needs a registry chat template (model.llm.chat_template, e.g. "
                              f"rsvlm); the tokenizer in {tok} has its own") in err[0], err
    assert not out.exists()
    assert check_model_files(load_config(TrainConfig, SFT, [*overrides, "model.llm.chat_template=rsvlm"]).model) is None


def test_a_run_with_every_part_frozen_is_refused_before_the_run(sft_record, tmp_path, capsys):
    out = tmp_path / "run"
    assert train_sft(sft_record, out, "model.trainable={encoder: frozen, stem: frozen, projector: frozen, llm: frozen}") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "model.trainable: encoder, stem, projector, llm are all frozen: nothing would train" \
        in err[0], err
    assert not out.exists()
    assert train_sft(sft_record, out, "model.trainable={encoder: frozen, stem: frozen, projector: full, llm: frozen}",
                  "data.train=/nonexistent.jsonl") == 2  # one part trained: the next refusal is another's
    assert "data.train" in capsys.readouterr().err


def test_a_resume_from_a_step_folder_with_a_file_cut_short_is_refused_before_the_run(sft_record, tmp_path, capsys):
    """rsvlm.train.checkpoint.check_step_readable (headers only) in preflight: the cut file was found once
    the model and data had been built (exit 1)."""
    import torch
    from safetensors.torch import save_file

    from rsvlm.train.checkpoint import step_files

    step = tmp_path / "run" / "checkpoints" / "step_000001"
    step.mkdir(parents=True)
    for name in step_files(0, deepspeed=False):
        if name.endswith(".json"):
            (step / name).write_text("{}")
        else:
            save_file({"w": torch.zeros(2)}, str(step / name))
    (step / "trainable.safetensors").write_bytes((step / "trainable.safetensors").read_bytes()[:-4])
    assert train_sft(sft_record, tmp_path / "run", "ckpt.resume=auto") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"rsvlm train: ckpt.resume: {step / 'trainable.safetensors'}: not a "
                                               "readable safetensors file"), err
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["checkpoints"]  # nothing written


def test_every_shipped_lm_recipe_holds_its_images():
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.max_length import check_max_length

    paths = [*(REPO / "configs/train").rglob("*.yaml"), *(REPO / "configs/default").glob("[as]*.yaml")]
    cfgs = [c for c in (load_config(TrainConfig, p) for p in sorted(paths)) if c.objective == "lm"]
    assert len(cfgs) >= 10 and all(max(check_max_length(c).values()) < c.data.max_length for c in cfgs)
