"""Tour 55 of inference and checkpoints: split modules, cut-at-context answers in eval, warnings in
CLI runs, merge-lora and convert-llava on odd input."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_model_llava import llava_dir  # noqa: F401  (a fixture)

REPO = Path(__file__).resolve().parents[1]


def test_split_modules_leave_room_and_keep_the_old_import_paths():
    """checkpoint.py (496 lines) and inference.py (485) were at the 500-line limit: weight files and
    answer generation have their own modules, and the names stay importable where scripts import them."""
    from rsvlm import answering, inference
    from rsvlm.model import checkpoint, weights

    for name in ("average_checkpoints", "compare_weights", "saved_dtypes", "open_safetensors", "load_safetensors"):
        assert getattr(checkpoint, name) is getattr(weights, name), name
    for name in ("Answer", "generate_answers", "answerer", "PromptsRefused", "class_questions", "is_cut",
                 "cut_note", "answers_or_refusals", "join_shapes", "last_question", "no_det_classes"):
        assert getattr(inference, name) is getattr(answering, name), name
    for path in ("rsvlm/model/checkpoint.py", "rsvlm/inference.py"):
        assert len((REPO / path).read_text().splitlines()) < 400, path


def _short_context_model(root: Path, ctx: int = 170):
    """A tiny (model, processor) whose LLM has ``ctx`` positions (an image and a question take ~160),
    and root/a.png."""
    import numpy as np
    import torch
    from PIL import Image

    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig, create_model

    torch.manual_seed(0)
    model, processor = create_model(load_config(VLMConfig, REPO / "configs/model/tiny.yaml",
                                                [f"llm.config.max_position_embeddings={ctx}"]))
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (32, 32, 3), dtype=np.uint8)).save(root / "a.png")
    return model.eval(), processor


def test_eval_marks_and_counts_the_answers_that_ran_past_the_context(tmp_path, capsys):
    """An answer running past the LLM's context was a raw UserWarning per batch (naming torch's
    _contextlib.py, not the record) and nothing in --out: now each row says so, and one note counts them."""
    import json
    import warnings

    from rsvlm import evaluate

    model, processor = _short_context_model(tmp_path)
    rec = {"task": "cap", "images": [{"path": "a.png", "modality": "optical"}],
           "conversations": [{"from": "human", "value": "<image>\n[cap] Describe it."}, {"from": "gpt", "value": "x"}]}
    data = tmp_path / "t.jsonl"
    data.write_text("".join(json.dumps({**rec, "id": f"r{i}"}) + "\n" for i in range(2)))
    out = tmp_path / "p.jsonl"
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        evaluate.run(model, processor, data, out, batch_size=2, max_new_tokens=24, constrain=False, progress=False)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r.get("past_context") for r in rows] == [True] * 2
    err = capsys.readouterr().err
    assert "2 of the 2 answers ran past the LLM's context of 170 tokens" in err
    assert err.count("past the LLM's context") == 1 and '"past_context": true' in err
    assert not [w for w in seen if "past the LLM's context" in str(w.message)]  # counted, not warned per batch


def test_cli_runs_say_warnings_in_one_line_and_count_the_repeats(monkeypatch, capsys):
    """A Python warning in rsvlm predict/eval/chat printed as `…/torch/utils/_contextlib.py:124:
    UserWarning: …` plus a source line, once per batch; now one line, the repeats counted at the end,
    and the warnings machinery is as it was once main returns."""
    import warnings

    from rsvlm.cli import main

    def handler(args):
        for n in (82, 90, 7):
            warnings.warn(f"an answer ran {n} token(s) past the LLM's context of 200", stacklevel=1)
        warnings.warn("bands\nread as\tgrey", FutureWarning, stacklevel=1)
        return 0

    monkeypatch.setattr("rsvlm.predict.main", handler)
    shown = warnings.showwarning
    assert main(["predict", "--image", "a.png", "--task", "cls"]) == 0
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "rsvlm predict: warning: an answer ran 82 token(s) past the LLM's context of 200",
        "rsvlm predict: warning (FutureWarning): bands read as grey",
        "rsvlm predict: the warning \"an answer ran 82 token(s) past the LLM's context of 200\" came 3 times in all"]
    assert warnings.showwarning is shown


def _base(folder: Path, *overrides: str) -> Path:
    """A tiny random Llama + tokenizer in HF layout (``llm.config`` overrides: another size)."""
    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig
    from rsvlm.model.llm import build_llm

    llm, tok, _ = build_llm(load_config(VLMConfig, REPO / "configs/model/tiny.yaml", list(overrides)).llm)
    llm.save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def adapter_ckpt(tmp_path_factory):
    """An adapter-only LoRA checkpoint over a 2-layer base at ROOT/base (which tests replace)."""
    import torch

    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig, create_model

    root = tmp_path_factory.mktemp("adapter")
    base = _base(root / "base")
    torch.manual_seed(0)
    model, _ = create_model(load_config(VLMConfig, REPO / "configs/model/tiny.yaml",
                                        [f"llm.name_or_path={base}", "llm.config=null"]))
    return model.save_pretrained(root / "ck", adapter_only=True)


@pytest.mark.parametrize("other, says", [
    ("llm.config.num_hidden_layers=1", r"it adapts model\.layers\.1\.\S+, which the base does not have"),
    ("llm.config.num_hidden_layers=3", r"the base has 14 adapted weights the adapter lacks \(first: \S+layers\.2\."),
    ("llm.config.hidden_size=96", r"for a layer of size 64 where the base's \S+ has 96"),
])
def test_an_adapter_over_another_base_is_refused_naming_the_difference(adapter_ckpt, tmp_path, other, says):
    """A base with fewer layers lost the adapter's last ones without a word, one with more was a
    peft warning and then a merge, one of another width a size-mismatch traceback (exit 1)."""
    import shutil

    from rsvlm.model import load_pretrained

    base = adapter_ckpt.parent / "base"
    shutil.move(base, tmp_path / "kept")
    try:
        _base(base, other)  # the base path now holds another model
        with pytest.raises(ValueError, match=r"adapter: a LoRA adapter trained on another base than .*base "
                                             r"\(point llm\.name_or_path in .*config\.yaml at the base .*\): .*" + says):
            load_pretrained(adapter_ckpt)
    finally:
        shutil.rmtree(base, ignore_errors=True)
        shutil.move(tmp_path / "kept", base)


def test_merge_lora_into_a_file_says_it_is_a_file(adapter_ckpt, tmp_path, capsys):
    from rsvlm.cli import main

    (tmp_path / "out").write_text("notes")
    assert main(["merge-lora", "--model", str(adapter_ckpt), "--out", str(tmp_path / "out")]) == 2
    assert "out: a file, where the merged checkpoint (a folder) goes" in capsys.readouterr().err  # was "not empty"
    assert (tmp_path / "out").read_text() == "notes"


def test_convert_llava_refuses_an_out_inside_the_source_or_a_file_and_draws_no_bars(llava_dir, tmp_path,  # noqa: F811
                                                                                     capsys):
    """--out inside the LLaVA folder was written there (merge-lora refuses that), a file was 'not empty', and
    a tiny model's conversion drew transformers' "Loading weights" and "Writing model shards" bars."""
    from rsvlm.cli import main

    src = llava_dir[0]
    assert main(["convert-llava", "--src", str(src), "--out", str(src / "rsvlm")]) == 2
    assert "rsvlm: inside the LLaVA checkpoint" in capsys.readouterr().err and not (src / "rsvlm").exists()
    (tmp_path / "f").write_text("x")
    assert main(["convert-llava", "--src", str(src), "--out", str(tmp_path / "f")]) == 2
    assert "f: a file, where the converted checkpoint (a folder) goes" in capsys.readouterr().err
    assert main(["convert-llava", "--src", str(src), "--out", str(tmp_path / "ok")]) == 0
    said = capsys.readouterr()
    assert said.out.strip() == f"wrote {tmp_path / 'ok'}"
    assert "Loading weights" not in said.err and "Writing model shards" not in said.err


def test_a_checkpoint_config_cut_before_its_llm_section_says_so(adapter_ckpt, tmp_path):
    """It said "LLM base None not found (no llm/ in the checkpoint)" beside the checkpoint's llm/."""
    import shutil

    from rsvlm.config import ConfigError
    from rsvlm.model import load_pretrained

    cut = shutil.copytree(adapter_ckpt, tmp_path / "ck")
    (cut / "llm").mkdir()  # as a full save has it
    text = (cut / "config.yaml").read_text()
    (cut / "config.yaml").write_text(text[: text.index("\nllm:") + 1])  # a copy stopped there
    with pytest.raises(ConfigError, match=r"config\.yaml: names no LLM \(llm\.name_or_path\); it has no llm section at "
                                          r"all: cut short .*; this checkpoint's own LLM is .*ck/llm: llm\.name_or_path: llm"):
        load_pretrained(cut)


def test_eval_tokenises_each_prompt_once_and_still_refuses_the_long_one_alone(tmp_path):
    """answer_batch tokenised every prompt to check it against the context, and generation tokenised it
    again; now the check reads the batch's own ids, and a prompt past the context is still its record's
    error row while the others are answered in one batch."""
    from rsvlm import evaluate

    model, processor = _short_context_model(tmp_path, ctx=256)
    encoded, generated = [], []
    encode, generate = processor.encode, model.generate
    processor.encode = lambda text, *a, **kw: encoded.append(text) or encode(text, *a, **kw)
    model.generate = lambda input_ids, *a, **kw: generated.append(len(input_ids)) or generate(input_ids, *a, **kw)
    recs = [{"id": f"r{i}", "task": "cls", "images": [{"path": "a.png", "modality": "optical"}],
             "conversations": [{"from": "human", "value": f"<image>\n[cls] {q}"}, {"from": "gpt", "value": "lake"}]}
            for i, q in enumerate(["What is it?", "Which scene?", "What is it? " + "Look closely. " * 40])]
    rows = evaluate.answer_batch(model, processor, recs[:2], tmp_path, max_new_tokens=2)
    assert len(encoded) == 2 and generated == [2] and not any("error" in r for r in rows)  # was 4 encodings
    encoded.clear(), generated.clear()
    rows = evaluate.answer_batch(model, processor, recs, tmp_path, max_new_tokens=2)
    assert generated == [2] and [("error" in r) for r in rows] == [False, False, True]
    assert "but the LLM's context is 256 tokens" in rows[2]["error"] and rows[2]["answer"] == ""
