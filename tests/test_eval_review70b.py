"""Review of stop 70's evaluation round 2 (area F2): the size note rsvlm eval gives an image of a change pair; a
gzip predictions file cut at a line's end, or in the trailer of its last member."""

from __future__ import annotations

from conftest import eval_record, write_jsonl


def test_eval_tells_a_large_image_of_a_pair_to_be_cropped_not_tiled(tmp_path):
    """record_images gave size_note no ``tiling``, so a change record's large images were each told "rsvlm predict
    --tile 96 looks at it window by window", which --tile refuses for a pair (it takes one image); a one-image
    record keeps the --tile advice."""
    import numpy as np
    from PIL import Image

    from rsvlm.eval_reading import record_images

    for name in ("a.png", "b.png"):
        Image.fromarray(np.zeros((400, 500, 3), dtype=np.uint8) + 90).save(tmp_path / name)
    turn = [{"from": "human", "value": "<image>\n<image>\n[change] What changed?"}, {"from": "gpt", "value": "x"}]
    pair = {"id": "p", "task": "change", "conversations": turn,
            "images": [{"path": "a.png", "modality": "optical"}, {"path": "b.png", "modality": "optical"}]}
    notes: list[str] = []
    record_images(pair, tmp_path, notes, {"optical": 96})
    said = [n for n in notes if "shrunk whole" in n]
    assert len(said) == 2 and all("crop it" in n and "--tile" not in n for n in said), notes
    one = {**pair, "id": "s", "task": "cls", "images": pair["images"][:1],
           "conversations": [{"from": "human", "value": "<image>\n[cls] What?"}, {"from": "gpt", "value": "x"}]}
    single: list[str] = []
    record_images(one, tmp_path, single, {"optical": 96})
    assert any("rsvlm predict --tile 96 looks at it window by window" in n for n in single), single


def test_a_gzip_cut_at_a_line_end_says_no_line_was_split(tmp_path):
    """A pred.jsonl.gz cut at a line's end (every line there decompressed, the end-of-stream marker missing) was
    noted "the 0 byte(s) of the line the cut splits dropped": no line is split, whatever followed is lost. A file of two members (cat a.gz b.gz) cut in the second's trailer is read whole, both members' lines."""
    import gzip
    import json
    import zlib

    from eval import vqa

    recs = [eval_record(f"r{i}", "vqa", "[vqa] Is there a ship?", "yes") for i in range(30)]
    gt = write_jsonl(tmp_path / "gt.jsonl", recs)
    lines = ["".join(json.dumps({"id": r["id"], "answer": "yes"}) + "\n" for r in part) for part in (recs[:15], recs[15:])]
    pack = zlib.compressobj(wbits=31)  # gzip; a sync flush makes every line decodable, the stream left unended
    pred = tmp_path / "pred.jsonl.gz"
    pred.write_bytes(pack.compress("".join(lines).encode()) + pack.flush(zlib.Z_SYNC_FLUSH))
    said = next(n for n in vqa.main(["--gt", gt, "--pred", str(pred)])["notes"] if str(pred) in n)
    assert "cut short" in said and "whatever followed the cut (at a line's end) lost" in said
    assert "0 bytes" not in said and "the cut splits" not in said
    pred.write_bytes(gzip.compress(lines[0].encode()) + gzip.compress(lines[1].encode())[:-3])
    scores = vqa.main(["--gt", gt, "--pred", str(pred)])
    assert scores["n_missing"] == 0 and any("lacks the last 3 of the 8 bytes" in n for n in scores["notes"])
