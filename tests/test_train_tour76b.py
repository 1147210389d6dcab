"""Training, tour 76 (b): the LM loop's done line counts the [change] records of other than two images it left
out; the contrastive loop says once how many of its captions its text context cuts, and leaves such [change]
records out of its captions ("New buildings." was the caption of one image) as the LM loop leaves them out."""
import json
from pathlib import Path

from PIL import Image
from test_train_utils import recipe

from rsvlm.config import load_config
from rsvlm.train.config import TrainConfig


def _rec(rid: str, n_images: int, task: str, answer: str) -> dict:
    tag = {"change": "[change] What changed?", "cls": "[cls] What is this scene?", "cap": "[cap] Describe it."}[task]
    return {"id": rid, "task": task, "images": [{"path": "a.png", "modality": "optical"}] * n_images,
            "conversations": [{"from": "human", "value": "<image>\n" * n_images + tag},
                              {"from": "gpt", "value": answer}]}


def _data(tmp_path: Path, recs: list[dict]) -> Path:
    Image.new("RGB", (32, 32), (90, 120, 60)).save(tmp_path / "a.png")
    data = tmp_path / "train.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in recs))
    return data


def _clip_argv(tmp_path: Path, data: Path, *extra: str) -> list[str]:
    return ["--config", str(recipe(tmp_path, "pretrain_encoder_tiny.yaml")), f"data.train={data}",
            f"out_dir={tmp_path / 'run'}", "log.progress=false", "max_steps=1", "device=cpu", *extra]


def _mixed(tmp_path: Path) -> Path:
    """2 one-image [change] records (lines 1 and 3), a two-image one, 3 [cls] ones: no [cap] record."""
    return _data(tmp_path, [_rec("one0", 1, "change", "New buildings."), _rec("cls0", 1, "cls", "farmland"),
                            _rec("one1", 1, "change", "A road was built."), _rec("pair0", 2, "change", "No change."),
                            _rec("cls1", 1, "cls", "forest"), _rec("cls2", 1, "cls", "harbour")])


def test_the_lm_done_line_counts_the_change_records_it_left_out(tmp_path, capsys):
    """3 one-image [change] records left out (counted apart since stop 76): the done line listed the bad samples
    and malformed records it left out but not them."""
    from rsvlm.train import main as train_main

    recs = [_rec(f"one{i}", 1, "change", "New buildings.") for i in range(3)]
    recs += [_rec(f"pair{i}", 2, "change", "New buildings.") for i in range(2)]
    recs += [_rec(f"cls{i}", 1, "cls", "farmland") for i in range(2)]
    argv = ["--config", str(recipe(tmp_path)), f"data.train={_data(tmp_path, recs)}", f"out_dir={tmp_path / 'run'}",
            "log.progress=false", "max_steps=1", "batch_size=2", "device=cpu", "data.batching=naive"]
    assert train_main(argv) == 0, capsys.readouterr().err
    done = capsys.readouterr().err.strip().splitlines()[-1]
    assert done.startswith("[rsvlm.train] done: 1 step, 0 bad samples skipped, 0 malformed records, 3 [change] "
                           "records of other than two images left out; model in "), done


def test_the_lm_done_line_says_nothing_of_change_records_where_none_was_left_out(tmp_path, capsys):
    from rsvlm.train import main as train_main

    recs = [_rec(f"pair{i}", 2, "change", "New buildings.") for i in range(2)]
    argv = ["--config", str(recipe(tmp_path)), f"data.train={_data(tmp_path, recs)}", f"out_dir={tmp_path / 'run'}",
            "log.progress=false", "max_steps=1", "batch_size=2", "device=cpu", "data.batching=naive"]
    assert train_main(argv) == 0, capsys.readouterr().err
    done = capsys.readouterr().err.strip().splitlines()[-1]
    assert "0 malformed records; model in" in done and "[change]" not in done, done


def test_pool_cuts_counts_the_pool_once_with_the_longest():
    """Each caption tokenized once, cut to the context less its end token; the cut ones counted, the longest."""
    from rsvlm.model.llm import byte_tokenizer
    from rsvlm.train.clip_data import caption_rows, pool_cuts

    tok = byte_tokenizer()
    pairs = [({"id": f"r{n}"}, "x" * n, Path()) for n in (10, 31, 32, 70)]  # byte tokens: one per character
    counts, note = pool_cuts(pairs, tok, 32, chunk=3)  # 31 tokens and the end token fit
    text, lengths = caption_rows([cap for _, cap, _ in pairs], tok, 32)
    assert counts == {"cut_caption_pairs": 2, "longest_caption_tokens": 70} and lengths.tolist() == [10, 31, 32, 70]
    x = tok("x", add_special_tokens=False)["input_ids"][0]
    assert text.shape == (4, 32) and text[0].tolist() == [x] * 10 + [tok.eos_token_id] + [tok.pad_token_id] * 21
    assert text[1].tolist() == text[2].tolist() == text[3].tolist() == [x] * 31 + [tok.eos_token_id]
    assert note.startswith("[rsvlm.train] 2 of 4 captions (50%) are longer than the text tower's context holds, the "
                           "longest 70 tokens: each is cut to clip.context_length - 1 = 31 (the caption of r32 is 32 "
                           "tokens); clip.context_length=71 would hold them all"), note
    assert pool_cuts(pairs, tok, 71) == ({"cut_caption_pairs": 0, "longest_caption_tokens": 70}, None)
    assert pool_cuts([], tok, 8) == ({"cut_caption_pairs": 0, "longest_caption_tokens": 0}, None)


def test_a_contrastive_run_says_once_how_many_captions_its_context_cuts(tmp_path, capsys):
    """The tiny recipe's context of 64 cut all 27 synthetic [cap] captions of 40 scenes (89-236 bytes): the run named the first cut
    caption of a draw and counted draws, never how many captions or how long; it says the pool's count, share and
    longest once before training, and summary.json keeps them."""
    from rsvlm.train import main as train_main

    data = _data(tmp_path, [_rec(f"cap{n}", 1, "cap", "y" * n) for n in (10, 50, 70, 20)])
    assert train_main(_clip_argv(tmp_path, data, "batch_size=4", "clip.context_length=32")) == 0
    err = capsys.readouterr().err
    notes = [x for x in err.splitlines() if "cut to clip.context_length - 1 = 31" in x]
    assert notes == ["[rsvlm.train] 2 of 4 captions (50%) are longer than the text tower's context holds, the longest "
                     "70 tokens: each is cut to clip.context_length - 1 = 31 (the caption of cap50 is 50 tokens); "
                     "clip.context_length=71 would hold them all, at more cost in the text tower (every draw of one is "
                     "counted as cut_captions in summary.json)"], err
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert (summary["cut_caption_pairs"], summary["longest_caption_tokens"], summary["cut_captions"]) == (2, 70, 2)
    assert err.strip().splitlines()[-1].startswith("[rsvlm.train] done: 1 step, 0 bad samples skipped, 0 malformed "
                                                    "records, 2 cut captions; encoder in ")


def test_caption_pool_leaves_one_image_change_records_out_of_the_captions(tmp_path):
    """With no [cap] record each single-image record's first answer is a caption: "New buildings." of a one-image
    [change] record was one; it is left out, named and counted apart, not as read."""
    from rsvlm.train.clip_data import caption_pool

    data = _mixed(tmp_path)
    cfg = load_config(TrainConfig, recipe(tmp_path, "pretrain_encoder_tiny.yaml"), [f"data.train={data}"])
    pairs, weights, report = caption_pool(cfg, unpaired := [])
    assert [(rec["id"], cap) for rec, cap, _ in pairs] == [("cls0", "farmland"), ("cls1", "forest"),
                                                           ("cls2", "harbour")]
    assert weights is None and report.n_ok == 4 and report.unpaired_changes == 0 and report.n_skipped == 0
    assert [u.split(": ")[:2] for u in unpaired] == [[f"{data}:1", "record one0"], [f"{data}:3", "record one1"]]
    assert "a [change] record compares two images, before then after, got 1" in unpaired[0]
    assert [rec["id"] for rec, _, _ in caption_pool(cfg)[0]] == ["cls0", "cls1", "cls2"]  # no list: left out all the same


def test_a_contrastive_run_counts_the_change_records_it_left_out(tmp_path, capsys):
    from rsvlm.train import main as train_main

    assert train_main(_clip_argv(tmp_path, _mixed(tmp_path), "batch_size=3")) == 0
    err = capsys.readouterr().err
    said = [x for x in err.splitlines() if "[change] answer is no caption" in x]
    assert len(said) == 1 and said[0].startswith("[rsvlm.train] 2 [change] records of other than two images left "
                                                 f"out (a [change] answer is no caption of one image; first: "
                                                 f"{tmp_path / 'train.jsonl'}:1: record one0: "), err
    assert "kept with other than two images" not in err  # the read summary called them kept
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["unpaired_change_records"] == 2 and summary["malformed_records"] == 0 and summary["steps"] == 1
    assert err.strip().splitlines()[-1].startswith("[rsvlm.train] done: 1 step, 0 bad samples skipped, 0 malformed "
                                                    "records, 2 [change] records of other than two images left out; "
                                                    "encoder in "), err
