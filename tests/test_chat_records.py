"""``python -m data_gen chat``: single-turn records chained into conversations per image."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from data_gen.__main__ import main as data_gen_main
from data_gen.instructions.chat import chain
from rsvlm.data.records import normalize_record
from rsvlm.evaluate import prompt_of


def _rec(i: int, image: str, task: str, answer: str, images: int = 1) -> dict:
    paths = [f"{image}_t{k}.png" for k in range(images)] if images > 1 else [f"{image}.png"]
    return {"id": f"{image}-{i}", "task": task, "images": [{"path": p, "modality": "optical"} for p in paths],
            "conversations": [{"from": "human", "value": "<image>\n" * images + f"[{task}] question {i}?"},
                              {"from": "gpt", "value": answer}], "meta": {"scene": image, "n": i}}


def test_each_images_questions_become_conversations_of_two_or_more_turns():
    recs = [_rec(i, "a", "cls", f"class {i}") for i in range(7)] + [_rec(9, "b", "count", "2")]
    recs += [_rec(i, "pair", "change", f"change {i}", images=2) for i in range(3)]
    chats = chain(recs, turns=3, seed=0)
    used = Counter(i for c in chats for i in c["meta"]["turn_ids"])
    # every record of an image with company is used once; the lone question of image b is left alone
    assert set(used) == {r["id"] for r in recs} - {"b-9"} and set(used.values()) == {1}
    for c in chats:
        rec = normalize_record(c)  # a valid record: placeholders match the images
        k = len(c["meta"]["turn_ids"])
        assert 2 <= k <= 4 and len(rec["conversations"]) == 2 * k
        by_id = {r["id"]: r for r in recs}
        turns = [by_id[i] for i in c["meta"]["turn_ids"]]
        assert len({tuple(im["path"] for im in r["images"]) for r in turns}) == 1  # one image (pair) each
        assert c["meta"]["turn_tasks"] == [r["task"] for r in turns]
        # the first question keeps its placeholders, the later ones lose them; answers as recorded
        for j, r in enumerate(turns):
            q, a = r["conversations"][0]["value"], r["conversations"][1]["value"]
            assert rec["conversations"][2 * j]["value"] == (q if j == 0 else q.replace("<image>\n", ""))
            assert rec["conversations"][2 * j + 1]["value"] == a
        # scored on its last turn: that turn's task and meta, its question after the earlier turns
        assert c["task"] == turns[-1]["task"] and c["meta"]["n"] == turns[-1]["meta"]["n"]
        assert prompt_of(rec)[-1]["content"] == rec["conversations"][-2]["value"]
        assert len(prompt_of(rec)) == 2 * k - 1  # every turn but the last answer (no system prompt by default)
    assert chain(recs, 3, seed=0) == chats and chain(recs, 3, seed=1) != chats
    with pytest.raises(ValueError, match="at least 2"):
        chain(recs, turns=1)


def test_the_command_counts_what_it_skips_and_what_it_leaves_alone(tmp_path, capsys):
    src = tmp_path / "train.jsonl"
    lines = [json.dumps(_rec(i, "a", "vqa", "yes")) for i in range(4)] + ["{not json"]
    lines.append(json.dumps(_rec(0, "c", "cls", "port")))
    src.write_text("\n".join(lines) + "\n")
    assert data_gen_main(["chat", "--src", str(src), "--out", str(tmp_path / "chat.jsonl"), "--seed", "3"]) == 0
    io = capsys.readouterr()
    assert "1 skipped (invalid JSON: 1)" in io.err and ":5: not valid JSON" in io.err
    out = [json.loads(x) for x in (tmp_path / "chat.jsonl").read_text().splitlines()]
    assert sum(len(c["meta"]["turn_ids"]) for c in out) == 4 and "1 left alone" in io.out
    assert data_gen_main(["chat", "--src", str(tmp_path / "none.jsonl"), "--out", str(tmp_path / "x.jsonl")]) == 2
    assert "none.jsonl" in capsys.readouterr().err
