"""Loading an LLM folder whose config.json does not fit its weights (tour 60): rsvlm's one-line error comes
alone, not after transformers' LOAD REPORT table; the quiet helpers are imported from rsvlm.model.quiet."""

from __future__ import annotations

import json
import logging
import shutil

import pytest


def _rewrite_weights(folder, change) -> None:
    """``change(state)`` applied to ``folder``'s model.safetensors."""
    from safetensors.torch import load_file, save_file

    state = load_file(folder / "model.safetensors")
    change(state)
    save_file(state, str(folder / "model.safetensors"), metadata={"format": "pt"})


@pytest.fixture
def said(capfd):
    """What a load printed, its log records of transformers' modeling_utils included, as one string."""
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())

    handler = Keep()
    logger = logging.getLogger("transformers.modeling_utils")
    logger.addHandler(handler)
    try:
        yield lambda: "".join(capfd.readouterr()) + "\n".join(records)
    finally:
        logger.removeHandler(handler)


def test_a_config_typo_is_named_from_the_safetensors_headers_before_any_weight_is_read(tmp_path, base_dir, said,
                                                                                      monkeypatch):
    """'hidden_sise' in config.json: transformers built a 4096-wide model at random, read the weights and printed
    its LOAD REPORT (a table of 12 rows) before rsvlm's error. Now the headers are compared first: the error alone,
    and transformers' from_pretrained is never called."""
    import transformers

    from rsvlm.model.llm import LLMConfig, build_llm

    src = shutil.copytree(base_dir, tmp_path / "base")
    conf = json.loads((src / "config.json").read_text())
    conf["hidden_sise"] = conf.pop("hidden_size")
    (src / "config.json").write_text(json.dumps(conf))

    def never(*a, **k):
        raise AssertionError("from_pretrained was called")

    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_pretrained", never)
    with pytest.raises(ValueError, match=r"^llm\.name_or_path .*base: its weights do not fit the LlamaForCausalLM its "
                                         r"config\.json builds: \d+ tensors? of another shape \(first: \S+ saved "
                                         r"\(\d+, 64\), built \(\d+, 4096\)\); config\.json has 'hidden_sise'"):
        build_llm(LLMConfig(name_or_path=str(src)))
    assert "LOAD REPORT" not in said()


def test_weights_lacking_a_tensor_are_refused_without_the_load_report_first(tmp_path, base_dir, said):
    """An untied LM head missing from model.safetensors: rsvlm refuses it (it would start at random); the load
    report transformers logged on the way came first, now rsvlm's error comes alone."""
    from rsvlm.model.llm import LLMConfig, build_llm

    src = shutil.copytree(base_dir, tmp_path / "base")
    assert json.loads((src / "config.json").read_text())["tie_word_embeddings"] is False
    _rewrite_weights(src, lambda state: state.pop("lm_head.weight"))
    with pytest.raises(ValueError, match=r"its weights lack 1 tensor .*\(first: lm_head\.weight\)"):
        build_llm(LLMConfig(name_or_path=str(src)))
    assert "LOAD REPORT" not in said()


def test_a_load_rsvlm_does_not_refuse_still_shows_the_report(tmp_path, base_dir, said):
    """An extra tensor the model does not use: loaded, and said, not swallowed: by rsvlm's warning (folder, count,
    names; tour 67), not transformers' table too, whose only row it was (with "can be ignored ...")."""
    import torch

    from rsvlm.model.llm import LLMConfig, build_llm

    src = shutil.copytree(base_dir, tmp_path / "base")
    _rewrite_weights(src, lambda state: state.update({"model.extra.weight": torch.zeros(3)}))
    with pytest.warns(UserWarning, match=r"1 tensor .* no place for, ignored \(first: model\.extra\.weight\)"):
        build_llm(LLMConfig(name_or_path=str(src)))
    assert "LOAD REPORT" not in said()


def test_the_load_report_is_shown_where_transformers_itself_fails():
    """An error out of the held block (transformers' own, which its report explains) releases the report first."""
    from rsvlm.model.quiet import load_report_held

    logger = logging.getLogger("transformers.modeling_utils")
    seen: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            seen.append(record.getMessage())

    handler = Keep()
    logger.addHandler(handler)
    try:
        with pytest.raises(RuntimeError, match="conversion"), load_report_held():
            logger.warning("LlamaForCausalLM LOAD REPORT from: x\n(table)")
            assert seen == []  # held
            raise RuntimeError("conversion errors: see the report above")
        assert seen == ["LlamaForCausalLM LOAD REPORT from: x\n(table)"]
        with load_report_held():  # not held a second time, nor any other message
            logger.warning("something else")
        assert seen[-1] == "something else"
    finally:
        logger.removeHandler(handler)


def test_the_model_package_imports_the_quiet_helpers_from_quiet_not_llm():
    """llm.py re-exported quiet.py's helpers (a private one among them) and checkpoint, convert_llava and vlm took
    them from there; they import from rsvlm.model.quiet, whose helpers used across modules are public."""
    import ast
    from pathlib import Path

    from rsvlm.model import quiet

    folder = Path(quiet.__file__).parent
    names = {n for n in dir(quiet) if not n.startswith("__")}
    assert "logger_quiet" in names and "_logger_quiet" not in names
    found = []
    for path in sorted(folder.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "rsvlm.model.llm":
                found += [f"{path.name}: {a.name}" for a in node.names if a.name in names]
    assert found == []


def _hf_llava_copy(tmp_path, tok, change_config=None, change_weights=None):
    """A tiny random LLaVA in Hugging Face layout, its config.json or weights changed."""
    from conftest import tiny_llava_config
    from transformers import LlavaForConditionalGeneration

    src = tmp_path / "src"
    LlavaForConditionalGeneration(tiny_llava_config(tok)).save_pretrained(src)
    tok.save_pretrained(src)
    if change_config:
        conf = json.loads((src / "config.json").read_text())
        change_config(conf)
        (src / "config.json").write_text(json.dumps(conf))
    if change_weights:
        _rewrite_weights(src, change_weights)
    return src


def test_convert_llava_names_a_config_typo_in_one_line(tmp_path, tiny_llava, said):
    """A Hugging Face-layout LLaVA whose text_config has 'hidden_sise': transformers' LOAD REPORT table, then its
    RuntimeError traceback out of ``rsvlm convert-llava``. Now one error naming the folder, a tensor and the typo."""
    from rsvlm.cli import main

    def typo(conf):
        conf["text_config"]["hidden_sise"] = conf["text_config"].pop("hidden_size")

    src = _hf_llava_copy(tmp_path, tiny_llava[3], change_config=typo)
    assert main(["convert-llava", "--src", str(src), "--out", str(tmp_path / "out")]) == 2
    out = said()
    assert (f"rsvlm convert-llava: {src}: its weights do not fit the LlavaForConditionalGeneration its config.json "
            "builds: ") in out and "config.json has 'hidden_sise' (did you mean 'hidden_size'?)" in out
    assert "LOAD REPORT" not in out and "Traceback" not in out
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_convert_llava_refuses_weights_lacking_the_lm_head(tmp_path, tiny_llava, said):
    """The LM head missing from a Hugging Face-layout LLaVA's weights: converted with that head at random, after
    only transformers' load report (a warning). Now refused, naming it."""
    from rsvlm.model.convert_llava import convert_llava

    src = _hf_llava_copy(tmp_path, tiny_llava[3], change_weights=lambda sd: sd.pop("language_model.lm_head.weight"))
    with pytest.raises(ValueError, match=r"src: its weights lack 1 tensor of the LlavaForConditionalGeneration "
                                         r"its config\.json builds \(first: lm_head\.weight\), which would be converted "
                                         "at random"):
        convert_llava(src, tmp_path / "out")
    assert "LOAD REPORT" not in said()


def test_model_pointing_at_a_plain_hf_language_model_is_not_sent_to_convert_llava(base_dir, tiny_llava, tmp_path,
                                                                                 capsys, geotiff):
    """``--model`` at a Hugging Face Llama folder was told 'a LLaVA-1.5 / GeoChat one converts with rsvlm
    convert-llava', which refuses a model without a vision side; it is named a language model to build on. A LLaVA
    folder (either layout) is still sent to convert-llava."""
    from conftest import write_llava

    from rsvlm.cli import main

    assert main(["predict", "--model", str(base_dir), "--image", str(geotiff), "--task", "cls"]) == 2
    err = capsys.readouterr().err
    assert "it is a Hugging Face language model (llama) with no vision side: give it as llm.name_or_path" in err
    assert "convert-llava" not in err
    sd, conf, _, tok = tiny_llava
    for src in (write_llava(tmp_path / "original", sd, conf, tok), _hf_llava_copy(tmp_path, tok)):
        assert main(["predict", "--model", str(src), "--image", str(geotiff), "--task", "cls"]) == 2
        assert "a LLaVA-1.5 / GeoChat one converts with rsvlm convert-llava" in capsys.readouterr().err


def test_the_header_check_reads_every_shard_and_leaves_a_quantised_save_to_transformers(tmp_path, base_dir):
    """A sharded save (model.safetensors.index.json) is compared shard by shard; a folder whose config.json has a
    quantization_config (bitsandbytes stores a 4-bit weight packed, in another shape) is not compared at all."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    from rsvlm.model.llm_files import check_saved_shapes, saved_shapes

    llm = AutoModelForCausalLM.from_pretrained(base_dir)
    llm.save_pretrained(tmp_path / "sharded", max_shard_size="100KB")
    assert not (tmp_path / "sharded" / "model.safetensors").exists()
    assert saved_shapes(tmp_path / "sharded") == {k: tuple(v.shape) for k, v in llm.state_dict().items()}
    conf = AutoConfig.from_pretrained(base_dir)
    conf.intermediate_size *= 2  # config.json edited after the save
    with torch.device("meta"):
        built = AutoModelForCausalLM.from_config(conf)
    with pytest.raises(ValueError, match=r"sharded: its weights do not fit .* \(first: model\.layers\.0\.mlp\.down_proj"
                                         r"\.weight saved \(64, 128\), built \(64, 256\)\); is config\.json the one"):
        check_saved_shapes(str(tmp_path / "sharded"), built)
    built.config.quantization_config = {"quant_method": "bitsandbytes", "load_in_4bit": True}
    check_saved_shapes(str(tmp_path / "sharded"), built)  # not compared


def test_an_adapter_only_checkpoint_on_a_cached_hub_base_loads(tmp_path, base_dir, monkeypatch):
    """A LoRA trained on a hub name in the Hugging Face cache (llm.name_or_path: acme/tiny; a 4-bit run saves
    adapter-only) wrote a checkpoint naming that base, which load_pretrained refused: "LLM base 'acme/tiny' not
    found (no llm/ in the checkpoint)". It loads from the cache; an uncached one is still refused so, and a cached
    base holding pickled weights only is refused without reading them."""
    import dataclasses

    import huggingface_hub

    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig, create_model, load_pretrained

    repo = tmp_path / "cache" / "models--acme--tiny"
    snap = shutil.copytree(base_dir, repo / "snapshots" / "0123abc")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0123abc")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    cfg = load_config(VLMConfig, "configs/model/tiny.yaml")
    cfg = dataclasses.replace(cfg, llm=dataclasses.replace(cfg.llm, name_or_path="acme/tiny", config=None))
    model, _ = create_model(cfg)
    model.save_pretrained(tmp_path / "ck", adapter_only=True)
    assert not (tmp_path / "ck" / "llm").exists()
    loaded, _ = load_pretrained(tmp_path / "ck")
    assert loaded.cfg.llm.name_or_path == "acme/tiny"
    base = {k: v for k, v in model.llm.get_base_model().state_dict().items() if "lora" not in k}
    again = loaded.llm.get_base_model().state_dict()
    assert all(v.equal(again[k]) for k, v in base.items())
    (snap / "model.safetensors").rename(snap / "pytorch_model.bin")
    with pytest.raises(FileNotFoundError, match=r"0123abc: no \*\.safetensors LLM weights; it holds pytorch_model\.bin"):
        load_pretrained(tmp_path / "ck")
    shutil.rmtree(repo)
    with pytest.raises(FileNotFoundError, match=r"LLM base 'acme/tiny' not found \(no llm/ in the checkpoint\)"):
        load_pretrained(tmp_path / "ck")


def test_names_the_model_modules_share_are_public():
    """vision imported llm._check_config_keys, llm re-exported quiet._logger_quiet, memory_plan took
    checkpoint._resolve and train.data stem._generic: a name used across modules is public (llm_files.check_config_keys,
    quiet.logger_quiet, checkpoint.resolve_in, stem.generic_band_names), and no old private alias is left."""
    import ast
    from pathlib import Path

    repo = Path(__file__).resolve().parent.parent
    providers = {"rsvlm.model.llm", "rsvlm.model.quiet", "rsvlm.model.llm_files", "rsvlm.model.checkpoint",
                 "rsvlm.model.ckpt_files", "rsvlm.model.stem", "rsvlm.model.vision", "rsvlm.model.vlm",
                 "rsvlm.model.merge", "rsvlm.model.convert_llava", "rsvlm.inference"}
    found = []
    for folder in ("rsvlm", "eval", "bench", "scripts", "data_gen", "tests"):
        for path in sorted((repo / folder).rglob("*.py")):
            try:
                tree = ast.parse(path.read_text())
            except SyntaxError:  # a file someone is writing
                continue
            found += [f"{path.name}: {node.module}.{a.name}" for node in ast.walk(tree)
                      if isinstance(node, ast.ImportFrom) and node.module in providers
                      for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
    assert found == []
    from rsvlm.model import checkpoint, llm, stem

    old = {"llm": ["_check_config_keys", "_local_folder", "_names_unreadable", "_unquantisable",
                   "deepspeed_cpu_note_quietly"], "checkpoint": ["_resolve"], "stem": ["_generic"]}
    modules = {"llm": llm, "checkpoint": checkpoint, "stem": stem}
    assert [f"{m}.{n}" for m, names in old.items() for n in names if hasattr(modules[m], n)] == []
