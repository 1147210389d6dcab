"""Review of tour 60's training changes: a full ``WholeFiles`` bucket lets every slot go, not one; a records
file that gives records and then cannot be read is not said to hold no usable record."""

import gzip
import re


def test_a_full_bucket_lets_any_of_its_slots_go_so_dead_keys_leave(monkeypatch):
    """The slot a key took in a full bucket was ``digest % WAYS``, the low bits its bucket index reads: every
    key of one first bucket took the same slot, and the other three kept their keys for good. Files rewritten
    (a new key each, the old one never read again) left the table holding dead keys and forgetting the live."""
    from rsvlm.train import whole as W

    monkeypatch.setattr(W, "MIN_SLOTS", 16)
    monkeypatch.setattr(W, "SLOTS_PER_RECORD", 1)
    table = W.WholeFiles(1)
    assert table.table.shape == (4, W.WAYS)  # four buckets: the bucket index reads two low bits
    dead = [(f"/x/{i}.png", 1, 0) for i in range(16)]
    for k in dead:
        table.add(k)
    live = [(f"/x/{i}.png", 1, 1) for i in range(16)]  # every file rewritten: another mtime
    for _ in range(30):  # epochs: a key not found is checked again and added
        for k in live:
            if k not in table:
                table.add(k)
    assert sum(k in table for k in live) > len(live) // 2, table.table  # was 6 of 16, 10 dead keys kept
    assert len(table) == table.table.size and ("/x/0.png", 1, 2) not in table


def _cfg(path, batch_size: int):
    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig

    return load_config(TrainConfig, None, [f"data.train={path}", f"batch_size={batch_size}", "out_dir=unused"])


def test_a_gzip_cut_short_after_some_records_is_not_said_to_hold_none(tmp_path):
    """It gave 3 records, then its stream stopped: 'no usable record: a gzip file that cannot be decompressed'."""
    import pytest
    from test_train_utils import make_records

    from rsvlm.train.inputs import TooFewRecords, check_enough_records

    lines = make_records(tmp_path / "d", n=8, ir_every=0).read_text()
    whole = gzip.compress(lines.encode())
    cut = tmp_path / "d" / "cut.jsonl.gz"
    cut.write_bytes(whole[: len(whole) * 2 // 3])
    with pytest.raises(TooFewRecords) as e:
        check_enough_records(_cfg(cut, 8), 1)
    said = str(e.value)
    assert said.startswith(f"data.train: {cut}: cannot be read to its end (") and re.search(r"\(\d+ records?, then: ", said), said
    assert "gzip" in said and "no usable record" not in said
    ok = tmp_path / "d" / "ok.jsonl.gz"  # whole, it passes
    ok.write_bytes(whole)
    check_enough_records(_cfg(ok, 8), 1)
    cut.write_bytes(whole[:30])  # cut before its first record: none read
    with pytest.raises(TooFewRecords, match=r": no usable record: "):
        check_enough_records(_cfg(cut, 8), 1)
