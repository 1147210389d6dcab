"""Tour 64 (helper Q): a system turn late in a conversation. Reading records does not know the chat template;
training does: it probes the run's template once (``sft_index.late_system``) and leaves such records out, counted
and named at file:line, only where the template cannot write them (rsvlm's registry templates); a tokenizer's own
template that writes them (Qwen2.5's) trains them as it did before 3b69c3c refused them when read."""

import json
from pathlib import Path

import pytest
from test_train_utils import make_records, recipe

from rsvlm.config import load_config
from rsvlm.train.config import TrainConfig

# Qwen2.5's way with system turns: a default one opens a conversation that has none; a later one is written as any
# turn, "<|im_start|>system\n…<|im_end|>"
QWEN_LIKE = ("{% for m in messages %}{% if loop.first and m['role'] != 'system' %}<|im_start|>system\nYou are a "
             "helpful assistant.<|im_end|>\n{% endif %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
             "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
# Mistral-like: roles must alternate after an optional opening system turn
RAISING = ("{% for m in messages %}{% if m['role'] == 'system' and not loop.first %}{{ raise_exception("
           "'Only the first message may be a system message') }}{% endif %}{{ m['content'] }}\n{% endfor %}")
# a template that writes the opening system turn and passes over any later one
FIRST_ONLY = ("{% for m in messages %}{% if m['role'] != 'system' or loop.first %}{{ m['role'] }}: {{ m['content'] }}\n"
              "{% endif %}{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}")


def _late_records(tmp_path: Path) -> Path:
    """8 records of make_records, then one whose conversation gets a system turn after its first exchange."""
    data = make_records(tmp_path / "d", n=8, ir_every=0)
    late = json.loads(data.read_text().splitlines()[0])
    late["id"] = "late"
    late["conversations"] += [{"from": "system", "value": "Answer in one word."},
                              {"from": "human", "value": "[vqa] And the colour?"}, {"from": "gpt", "value": "Red."}]
    with data.open("a") as f:
        f.write(json.dumps(late) + "\n")
    return data


def _cfg(tmp_path: Path, data: Path, *overrides: str) -> TrainConfig:
    return load_config(TrainConfig, recipe(tmp_path), [f"data.train={data}", f"out_dir={tmp_path / 'run'}",
                                                      "log.progress=false", "batch_size=2",
                                                      "data.max_bad_fraction=0.5", *overrides])


def _tokenizer(folder: Path, template: str) -> Path:
    from rsvlm.model.llm import byte_tokenizer

    tok = byte_tokenizer()
    tok.chat_template = template
    tok.save_pretrained(folder)
    return folder


def test_a_registry_template_leaves_a_late_system_record_out_counted_at_its_line(tmp_path):
    """rsvlm's template writes one system turn, opening the conversation: such a record failed at every draw; it is
    left out when indexed, counted in the read report (summary.json's malformed_reasons) and named at file:line."""
    from rsvlm.train.sft_index import read_train_data

    data = _late_records(tmp_path)
    got = read_train_data(_cfg(tmp_path, data), 0, 1)
    assert "late" not in got.index["id"][:] and len(got.index) == 8
    assert got.report.skipped == {"system turn after the first": 1} and got.report.n_ok == 8
    assert got.report.examples[0].startswith(
        f"{data}:9: record late: conversations[2] is a system turn after the first, which the chat template rsvlm "
        "(model.llm.chat_template) cannot write (role must be user or assistant after an optional system, got 'system'); "
        "fold it into the opening one")


def test_a_template_that_writes_a_late_system_turn_keeps_the_record_and_trains_it(tmp_path):
    """A tokenizer's own template (model.llm.chat_template: null) that writes later system turns, as Qwen2.5's does:
    the record is indexed, not counted, and its sample holds the system turn's text and trains both answers."""
    from rsvlm.data.conversation import IGNORE_INDEX, PromptConfig
    from rsvlm.train.data import SFTDataset
    from rsvlm.train.sft_index import data_processor, read_train_data

    data = _late_records(tmp_path)
    tok = _tokenizer(tmp_path / "tok", QWEN_LIKE)
    cfg = _cfg(tmp_path, data, f"model.llm.tokenizer={tok}", "model.llm.chat_template=null")
    processor = data_processor(cfg)
    got = read_train_data(cfg, 0, 1, processor=processor)
    ids = got.index["id"][:]
    assert "late" in ids and got.report.n_skipped == 0
    sample = SFTDataset(got.index, got.roots, processor, PromptConfig(), 384)[ids.index("late")]
    assert "bad" not in sample, sample
    text = processor.tokenizer.decode(sample["input_ids"])
    assert "<|im_start|>system\nAnswer in one word.<|im_end|>" in text
    trained = processor.tokenizer.decode([t for t in sample["labels"] if t != IGNORE_INDEX])
    assert trained.startswith("red field") and "Red." in trained and "one word" not in trained


@pytest.mark.parametrize("template,said", [
    ("rsvlm", "the chat template rsvlm (model.llm.chat_template) cannot write (role must be user or assistant after "
              "an optional system, got 'system')"),
    ("llava_v1", "the chat template llava_v1 (model.llm.chat_template) cannot write"),
    (RAISING, "the tokenizer's own chat template (model.llm.chat_template: null) cannot write (Only the first "
              "message may be a system message)"),
    (FIRST_ONLY, "the tokenizer's own chat template (model.llm.chat_template: null) leaves out (its text is not in "
                 "the prompt)"),
    (QWEN_LIKE, None),
])
def test_the_probe_names_the_template_and_why(tmp_path, template, said):
    from rsvlm.train.sft_index import data_processor, late_system

    data = make_records(tmp_path / "d", n=2, ir_every=0)
    own = template not in ("rsvlm", "llava_v1")
    overrides = [f"model.llm.tokenizer={_tokenizer(tmp_path / 'tok', template)}",
                 "model.llm.chat_template=null"] if own else [f"model.llm.chat_template={template}"]
    cfg = _cfg(tmp_path, data, *overrides)
    got = late_system(data_processor(cfg), cfg.model.llm.chat_template)
    assert got is None if said is None else got.startswith(said)


def test_a_template_that_raises_on_it_leaves_the_record_out_where_it_stopped_the_run(tmp_path):
    """A jinja template's raise_exception is a TemplateError, which the data path does not take as a bad sample
    (it takes ValueError): such a record stopped the run at its draw. Now it is left out when indexed."""
    from rsvlm.train.sft_index import read_train_data

    data = _late_records(tmp_path)
    tok = _tokenizer(tmp_path / "tok", RAISING)
    got = read_train_data(_cfg(tmp_path, data, f"model.llm.tokenizer={tok}", "model.llm.chat_template=null"), 0, 1)
    assert "late" not in got.index["id"][:] and got.report.skipped == {"system turn after the first": 1}
    assert "Only the first message may be a system message" in got.report.examples[0]


# Mistral-like: roles must alternate user/assistant, from the first message
ALTERNATING = ("{% for m in messages %}{% if (m['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception("
               "'Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
               "{% if m['role'] == 'user' %}[INST] {{ m['content'] }} [/INST]{% else %} {{ m['content'] }}</s>{% endif %}"
               "{% endfor %}")


def test_a_conversation_a_tokenizers_template_refuses_is_a_bad_sample_not_a_stopped_run(tmp_path):
    """Two human turns in a row under a template that raises on them (Mistral's): its TemplateError is no
    ValueError, so the sample's read let it through and the run stopped, naming no record; now a bad sample with
    its id and the template's words, counted as the others."""
    from rsvlm.data.records import ReadReport
    from rsvlm.train import data as D
    from rsvlm.train.sft_index import data_processor

    data = make_records(tmp_path / "d", n=2, ir_every=0)
    two = json.loads(data.read_text().splitlines()[0])
    two["id"] = "two"
    two["conversations"].insert(0, {"from": "human", "value": "Look at this scene."})
    with data.open("a") as f:
        f.write(json.dumps(two) + "\n")
    cfg = _cfg(tmp_path, data, f"model.llm.tokenizer={_tokenizer(tmp_path / 'tok', ALTERNATING)}",
               "model.llm.chat_template=null")
    processor = data_processor(cfg)
    index = D.build_index([data], processor.tokenizer, dict(processor.n_tokens), ReadReport(str(data)), None,
                          [data.parent], False)
    ds = D.SFTDataset(index, [data.parent], processor, cfg.model.prompt, 384)
    assert "bad" not in ds[0]
    got = ds[2]
    assert got["bad"] and got["id"] == "two"
    assert got["error"] == "TemplateError: Conversation roles must alternate user/assistant/user/assistant/..."
