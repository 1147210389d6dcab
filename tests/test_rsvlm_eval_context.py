"""rsvlm eval on a record whose prompt is past the LLM's context: that record is answered empty with
the reason; the others of its batch are answered as usual."""
import json
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from rsvlm.cli import main
from rsvlm.config import load_config
from rsvlm.model import VLMConfig, create_model

REPO = Path(__file__).resolve().parents[1]


def test_a_record_past_the_context_is_an_error_row_not_a_failed_run(tmp_path, capsys):
    torch.manual_seed(0)
    model, _ = create_model(load_config(VLMConfig, REPO / "configs/model/tiny.yaml",
                                        ["llm.config.max_position_embeddings=256"]))
    model.save_pretrained(tmp_path / "m")
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (32, 32, 3), dtype=np.uint8)).save(tmp_path / "a.png")

    def rec(i, question):
        return {"id": f"r{i}", "task": "cls", "images": [{"path": "a.png", "modality": "optical"}],
                "conversations": [{"from": "human", "value": f"<image>\n[cls] {question}"},
                                  {"from": "gpt", "value": "lake"}]}

    recs = [rec(0, "What is it?"), rec(1, "What is it? " + "Look closely. " * 40), rec(2, "Which scene?")]
    data = tmp_path / "test.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in recs))
    out = tmp_path / "p.jsonl"
    # one batch of three: the long prompt used to fail the batch, and the run, with a traceback
    assert main(["eval", "--model", str(tmp_path / "m"), "--data", str(data), "--out", str(out),
                 "--batch-size", "3", "--max-new-tokens", "2", "--device", "cpu"]) == 0
    rows = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert list(rows) == ["r0", "r1", "r2"]
    assert "context is 256 tokens" in rows["r1"]["error"] and rows["r1"]["answer"] == ""
    assert "error" not in rows["r0"] and "error" not in rows["r2"]
    said = ("1 of 3 records with unreadable images, bands the model cannot take, a prompt past the LLM's context "
            "or a system turn its chat template cannot write")
    assert said in capsys.readouterr().err


def test_resuming_answers_again_the_records_that_failed(ckpt, tmp_path, capsys):
    rec = {"id": "a", "task": "cls", "images": [{"path": "a.png", "modality": "optical"}],
           "conversations": [{"from": "human", "value": "<image>\n[cls] What is it?"}, {"from": "gpt", "value": "lake"}]}
    data = tmp_path / "test.jsonl"
    data.write_text(json.dumps(rec) + "\n" + json.dumps({**rec, "id": "b", "images": [{"path": "b.png"}]}) + "\n")
    Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(tmp_path / "a.png")
    out = tmp_path / "p.jsonl"
    argv = ["eval", "--model", str(ckpt), "--data", str(data), "--out", str(out), "--max-new-tokens", "2",
            "--device", "cpu"]
    assert main(argv) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["a", "b"] and "b.png" in rows[1]["error"]
    Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(tmp_path / "b.png")  # the user fixes the image
    capsys.readouterr()
    assert main(argv) == 0  # was: both ids counted as done, b's error row kept for good
    assert "1 record answered empty with an error last time is answered again" in capsys.readouterr().err
    again = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(r["id"] for r in again) == ["a", "b"] and not any("error" in r for r in again)
    assert again[0] == rows[0]  # the good answer is kept as it was


def test_scorers_note_the_predictions_rsvlm_eval_could_not_answer(tmp_path, capsys):
    from eval import classification

    rec = {"id": "a", "task": "cls", "images": [{"path": "a.png", "modality": "optical"}],
           "conversations": [{"from": "human", "value": "<image>\n[cls] What is it?"}, {"from": "gpt", "value": "lake"}]}
    gt = tmp_path / "gt.jsonl"
    gt.write_text(json.dumps(rec) + "\n" + json.dumps({**rec, "id": "b"}) + "\n")
    pred = tmp_path / "p.jsonl"
    pred.write_text(json.dumps({"id": "a", "task": "cls", "answer": "lake"}) + "\n"
                    + json.dumps({"id": "b", "task": "cls", "answer": "", "error": "b.png: image not found"}) + "\n")
    scores = classification.main(["--gt", str(gt), "--pred", str(pred)])
    assert scores["accuracy"] == 0.5 and scores["n_pred_errors"] == 1  # scored as wrong, no longer silently
    assert "1 prediction carries an 'error' from rsvlm eval and scores as wrong (first: b: b.png: image not found)" \
        in capsys.readouterr().out


def test_a_prompt_past_the_context_is_found_before_the_batch_runs(tmp_path):
    """The long record is answered empty at once and the others in one batch; it used to fail the
    batch, which was then answered one record at a time (four generate calls for three records)."""
    from rsvlm import evaluate
    from rsvlm.model import load_pretrained

    torch.manual_seed(0)
    made, _ = create_model(load_config(VLMConfig, REPO / "configs/model/tiny.yaml",
                                       ["llm.config.max_position_embeddings=256"]))
    made.save_pretrained(tmp_path / "m")
    model, processor = load_pretrained(tmp_path / "m", device="cpu")
    Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(tmp_path / "a.png")
    recs = [{"id": f"r{i}", "task": "cls", "images": [{"path": "a.png", "modality": "optical"}],
             "conversations": [{"from": "human", "value": f"<image>\n[cls] {q}"}, {"from": "gpt", "value": "lake"}]}
            for i, q in enumerate(["What is it?", "What is it? " + "Look closely. " * 40, "Which scene?"])]
    batches = []
    generate = model.generate

    def counted(input_ids, *a, **kw):
        batches.append(len(input_ids))
        return generate(input_ids, *a, **kw)

    model.generate = counted
    rows = evaluate.answer_batch(model, processor, recs, tmp_path, max_new_tokens=2)
    assert batches == [2]
    assert [("error" in r) for r in rows] == [False, True, False] and rows[1]["answer"] == ""
    assert "context is 256 tokens" in rows[1]["error"] and rows[1]["inputs_digest"]
