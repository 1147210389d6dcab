"""rsvlm eval, toured (52): the launcher's environment, rank parts of ranks without
records, errors that stop or cut a run (the scorers: test_eval_scorers52)."""
import json

import pytest
from test_eval_ranks51 import RECORD, records_file

from rsvlm import evaluate
from rsvlm.cli import main


@pytest.mark.parametrize("env, said", [
    ({"RANK": "0", "WORLD_SIZE": "two"}, "WORLD_SIZE='two' is not a whole number"),
    ({"RANK": "first", "WORLD_SIZE": "2"}, "RANK='first' is not a whole number"),
    ({"RANK": "2", "WORLD_SIZE": "2"}, "RANK=2 is outside 0…1"),
    ({"RANK": "0", "WORLD_SIZE": "0"}, "WORLD_SIZE=0: must be 1 or more"),
])
def test_a_bad_rank_or_world_size_is_one_line_naming_the_variable(tmp_path, monkeypatch, capsys, env, said):
    data = tmp_path / "test.jsonl"
    data.write_text(json.dumps(RECORD) + "\n")
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    # was a ValueError traceback from int() (or, for WORLD_SIZE=0, "slice step cannot be zero" after the model loaded)
    assert main(["eval", "--model", str(tmp_path / "no-model"), "--data", str(data),
                 "--out", str(tmp_path / "p.jsonl")]) == 2
    assert said in capsys.readouterr().err
    assert not (tmp_path / "p.jsonl.run.json").exists()


def test_process_rank_reads_the_launchers_variables():
    assert evaluate.process_rank({}) == (0, 1)
    assert evaluate.process_rank({"RANK": " 3 ", "WORLD_SIZE": "4"}) == (3, 4)
    assert evaluate.process_rank({"RANK": "", "WORLD_SIZE": ""}) == (0, 1)


def _standin(monkeypatch, slow: str | None = None, tag: list | None = None):
    """``answer_batch`` for ``evaluate.run``: answers ``tag[0]``, an error row where the image is missing;
    sleeps a little before answering the record ``slow`` (another rank still busy)."""
    import time

    tag = tag if tag is not None else ["run 1"]
    asked = []

    def answer(model, processor, records, root, *a, **kw):
        rows = []
        for r in records:
            if r["id"] == slow:
                time.sleep(0.3)
            asked.append(r["id"])
            if (root / r["images"][0]["path"]).is_file():
                rows.append({"id": r["id"], "task": r["task"], "answer": tag[0]})
            else:
                rows.append({"id": r["id"], "task": r["task"], "answer": "", "error": f"gone.png ({tag[0]})",
                             "inputs_digest": evaluate.inputs_digest(r, root)})
        return rows

    monkeypatch.setattr(evaluate, "answer_batch", answer)
    return asked, tag


def _rows(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_ranks_without_records_leave_no_part_behind(tmp_path, monkeypatch, capsys):
    asked, _ = _standin(monkeypatch)
    data, out = records_file(tmp_path, 2), tmp_path / "p.jsonl"
    (tmp_path / "p.jsonl.rank3").write_text("")  # an empty part an older run left
    for rank in (2, 3, 1, 0):  # four processes for two records: ranks 2 and 3 have none
        evaluate.run(None, None, data, out, batch_size=1, rank=rank, world=4, progress=False)
    # were empty p.jsonl.rank2 and .rank3, listed by every later message about the parts, merged every time
    assert sorted(p.name for p in tmp_path.glob("p.jsonl.rank*")) == ["p.jsonl.rank0", "p.jsonl.rank1"]
    assert [r["id"] for r in _rows(out)] == ["r0", "r1"] and asked == ["r1", "r0"]
    assert evaluate.run(None, None, data, out, batch_size=1, progress=False) == out  # resumed on one: nothing asked
    assert asked == ["r1", "r0"] and [r["id"] for r in _rows(out)] == ["r0", "r1"]
    capsys.readouterr()


class ThreadSync:
    """``launcher_sync`` for ranks run as threads of one process: every rank's value once all gave one."""

    def __init__(self, world):
        import threading

        self.barrier, self.values = threading.Barrier(world, timeout=120), [None] * world

    def of(self, rank):
        def sync(value):
            self.values[rank] = value
            self.barrier.wait()
            got = list(self.values)
            self.barrier.wait()
            return got

        return sync


def _ranks_as_threads(data, out, world, sync=None, **kw):
    import threading

    done = {}

    def one(rank):
        done[rank] = evaluate.run(None, None, data, out, batch_size=1, rank=rank, world=world,
                                  sync=sync.of(rank) if sync else None, **{"progress": False, **kw})

    threads = [threading.Thread(target=one, args=(r,)) for r in range(world)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)  # a loaded machine is slow; a hang still ends (the barrier's timeout)
    return done


def test_retried_errors_on_ranks_that_meet_are_merged_once_after_every_rank(tmp_path, monkeypatch, capsys):
    from rsvlm import predictions

    data, out = records_file(tmp_path, 4, missing={1, 3}), tmp_path / "p.jsonl"
    asked, tag = _standin(monkeypatch, slow="r3")
    _ranks_as_threads(data, out, 2, ThreadSync(2))
    assert [r.get("error") for r in _rows(out)] == [None, "gone.png (run 1)", None, "gone.png (run 1)"]
    merges = []

    def merge(*a, **kw):
        merged = predictions.merge_answers(*a, **kw)
        merges.append([r.get("error") for r in _rows(out)])
        return merged

    monkeypatch.setattr(evaluate, "merge_answers", merge)
    tag[0] = "run 2"  # rank 1 retries r1 and r3 (slowly); rank 0 has nothing to retry and ends at once
    done = _ranks_as_threads(data, out, 2, ThreadSync(2), retry_errors=True, progress=True)
    # without meeting, rank 0 merged while rank 1 was still retrying: OUT said "run 1" for r1 and r3, and
    # rank 0 said "wrote OUT"
    assert merges == [[None, "gone.png (run 2)", None, "gone.png (run 2)"]]  # once, by rank 0, after both
    assert done == {0: out, 1: out} and asked[-2:] == ["r1", "r3"]
    assert "rank 0 done; waiting for the other processes before rank 0 merges" in capsys.readouterr().err


def _rank_process(rank, port, data, out, result):
    """One rank of a real two-process launch (forked: no second import of torch)."""
    import os

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE="2")
    sync = evaluate.launcher_sync(2)
    got = evaluate.run(None, None, data, out, batch_size=1, rank=rank, world=2, progress=False, sync=sync)
    import torch.distributed as dist

    dist.destroy_process_group()
    result.write_text(str(got))


def test_two_real_processes_meet_through_the_launchers_rendezvous(tmp_path, monkeypatch, capsys):
    import multiprocessing
    import socket

    import torch.distributed  # noqa: F401  (imported before the fork, once)

    _standin(monkeypatch, slow="r1")
    data, out = records_file(tmp_path, 3), tmp_path / "p.jsonl"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_rank_process, args=(r, port, data, out, tmp_path / f"got{r}")) for r in (0, 1)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(180)  # a loaded machine is slow to start two ranks; a hang still ends, killed below
    for p in procs:
        if p.is_alive():
            p.kill()
    assert [p.exitcode for p in procs] == [0, 0]
    assert [(tmp_path / f"got{r}").read_text() for r in (0, 1)] == [str(out)] * 2  # both: merged
    assert [r["id"] for r in _rows(out)] == ["r0", "r1", "r2"]
    assert evaluate.launcher_sync(1) is None
    monkeypatch.delenv("MASTER_ADDR", raising=False)
    assert evaluate.launcher_sync(2) is None  # RANK/WORLD_SIZE set by hand: the last to finish merges
    capsys.readouterr()


def test_a_process_past_the_machines_gpus_is_one_line(tmp_path, monkeypatch, capsys):
    import torch

    data = tmp_path / "test.jsonl"
    data.write_text(json.dumps(RECORD) + "\n")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    argv = ["eval", "--model", str(tmp_path / "no-model"), "--data", str(data), "--out", str(tmp_path / "p.jsonl")]
    for k, v in {"RANK": "1", "WORLD_SIZE": "2", "LOCAL_RANK": "1"}.items():
        monkeypatch.setenv(k, v)
    # was "cuda:1" taken as given: a CUDA "invalid device ordinal" traceback once the model loaded
    assert main(argv) == 2
    assert "would take GPU cuda:1 (LOCAL_RANK), but 1 GPU is visible: start at most 1 process per machine" in capsys.readouterr().err
    monkeypatch.setenv("LOCAL_RANK", "one")
    assert main(argv) == 2 and "LOCAL_RANK='one' is not a whole number" in capsys.readouterr().err
    monkeypatch.setenv("LOCAL_RANK", "0")
    assert evaluate.rank_device(1) == "cuda:0"


def test_an_image_without_a_valid_pixel_is_an_error_row_not_an_answer(tmp_path):
    import numpy as np
    import tifffile

    tifffile.imwrite(tmp_path / "nan.tif", np.full((32, 32, 3), np.nan, np.float32), photometric="rgb")  # a scene outside its swath
    rec = {**RECORD, "images": [{"path": "nan.tif", "modality": "optical"}]}
    # was answered as if the image were black (rsvlm predict refuses it); no model is reached here
    (row,) = evaluate.answer_batch(None, None, [rec], tmp_path, 8)
    assert row["answer"] == "" and "nan.tif: every pixel is nodata" in row["error"] and "inputs_digest" in row


def test_a_large_scene_is_read_shrunk_as_predict_reads_it(tmp_path, monkeypatch):
    import numpy as np
    from PIL import Image

    from rsvlm import inference

    Image.fromarray(np.random.default_rng(0).integers(0, 255, (40, 64, 3), dtype=np.uint8)).save(tmp_path / "a.png")
    monkeypatch.setattr(inference, "READ_MAX_SIDE", 16)  # a whole Sentinel-2 tile, scaled down
    (img,) = evaluate.record_images(RECORD, tmp_path)
    assert img.array.shape == (3, 10, 16)  # was read whole, (3, 40, 64): GBs a record for a full tile
    monkeypatch.setattr(inference, "READ_MAX_SIDE", 2048)
    (img,) = evaluate.record_images(RECORD, tmp_path)
    assert img.array.shape == (3, 40, 64)  # a chip is read as it is


def test_running_out_of_memory_says_the_answers_are_kept(tmp_path, monkeypatch, capsys):
    import types

    import torch

    from rsvlm import inference

    data = tmp_path / "test.jsonl"
    data.write_text(json.dumps(RECORD) + "\n")
    model_dir = tmp_path / "m"
    model_dir.mkdir()
    (model_dir / "config.yaml").write_text("{}\n")
    monkeypatch.setattr(inference, "load_model", lambda *a, **kw: (None, types.SimpleNamespace()))

    def oom(*a, **kw):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB\nmore detail")

    monkeypatch.setattr(evaluate, "run", oom)
    # was a CUDA traceback, hours into a run, with no word that the answers so far survive
    assert main(["eval", "--model", str(model_dir), "--data", str(data), "--out", str(tmp_path / "p.jsonl"),
                 "--batch-size", "16"]) == 1
    err = capsys.readouterr().err
    assert "out of memory answering a batch of 16 (CUDA out of memory. Tried to allocate 2.00 GiB)" in err
    assert f"kept in {tmp_path / 'p.jsonl'} and a rerun resumes" in err and "smaller --batch-size" in err


def test_parts_on_another_machines_disk_are_named_not_blamed_on_changed_inputs(tmp_path, monkeypatch, capsys):
    data, out = records_file(tmp_path, 4), tmp_path / "p.jsonl"
    _standin(monkeypatch)
    together = ThreadSync(2)
    rank1 = together.of(1)

    def elsewhere(value):  # rank 1 wrote its part on a disk of its own (--out /tmp/… on each machine)
        if value is True:
            (tmp_path / "p.jsonl.rank1").unlink()
        return rank1(value)

    together.of = lambda rank, of=together.of: elsewhere if rank == 1 else of(rank)
    done = _ranks_as_threads(data, out, 2, together)
    assert done == {0: tmp_path / "p.jsonl.rank0", 1: tmp_path / "p.jsonl.rank1"} and not out.exists()
    err = capsys.readouterr().err
    # was: "a record's inputs changed during the run; run again", which would not have helped
    assert "the part of rank 1 is not in" in err and "need --out in a folder they share" in err
    assert "inputs changed" not in err


def _stub_model(tmp_path, monkeypatch):
    """A one-record test set and a model folder whose loading is stubbed out; the records' path."""
    import types

    from rsvlm import inference

    data = tmp_path / "test.jsonl"
    data.write_text(json.dumps(RECORD) + "\n")
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "config.yaml").write_text("{}\n")
    monkeypatch.setattr(inference, "load_model", lambda *a, **kw: (None, types.SimpleNamespace()))
    return data


def test_a_rank_without_records_does_not_claim_a_file(tmp_path, monkeypatch, capsys):
    data = _stub_model(tmp_path, monkeypatch)
    monkeypatch.setattr(evaluate, "answer_batch", lambda *a, **kw: [])
    for k, v in {"RANK": "1", "WORLD_SIZE": "2"}.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("MASTER_ADDR", raising=False)
    assert main(["eval", "--model", str(tmp_path / "m"), "--data", str(data), "--out", str(tmp_path / "p.jsonl"),
                 "--device", "cpu"]) == 0
    said = capsys.readouterr().out  # one record, two processes: rank 1 has none
    assert "rank 1 had no record left to answer; the last rank to finish merges the shares into" in said
    assert not (tmp_path / "p.jsonl.rank1").exists()  # was "wrote p.jsonl.rank1", and it an empty file


def test_a_rendezvous_that_fails_falls_back_to_the_last_rank_merging(tmp_path, monkeypatch, capsys):
    import torch.distributed as dist


    data = _stub_model(tmp_path, monkeypatch)
    seen = {}
    monkeypatch.setattr(evaluate, "run", lambda *a, **kw: seen.update(kw) or a[3].with_name("p.jsonl.rank1"))

    def refuse(*a, **kw):
        raise RuntimeError("Gloo connectFullMesh failed: no interface\nmore")

    monkeypatch.setattr(dist, "is_initialized", lambda: False)
    monkeypatch.setattr(dist, "init_process_group", refuse)
    for k, v in {"RANK": "1", "WORLD_SIZE": "2", "MASTER_ADDR": "10.0.0.1", "MASTER_PORT": "29500"}.items():
        monkeypatch.setenv(k, v)
    # was: one line and exit 2, where processes that could not meet had merged through their files before
    assert main(["eval", "--model", str(tmp_path / "m"), "--data", str(data), "--out", str(tmp_path / "p.jsonl"),
                 "--device", "cpu"]) == 0
    assert seen["sync"] is None
    assert "cannot meet the other processes at 10.0.0.1:29500 (Gloo connectFullMesh failed: no interface); rank 1 " \
        "of 2 answers its share alone" in capsys.readouterr().err


def test_a_record_ending_on_a_question_is_pointed_out_before_the_run(tmp_path, monkeypatch, capsys):
    asked, _ = _standin(monkeypatch)
    data, out = records_file(tmp_path, 2), tmp_path / "p.jsonl"
    recs = [json.loads(line) for line in data.read_text().splitlines()]
    recs[1]["conversations"].append({"from": "human", "value": "[count] How many ships?"})  # no answer to it
    data.write_text("".join(json.dumps(r) + "\n" for r in recs))
    evaluate.run(None, None, data, out, batch_size=1, progress=False)
    # was answered on its first question without a word that the last one was never asked
    assert "1 record ends on a question after its last answer (first: r1)" in capsys.readouterr().err
    assert asked == ["r0", "r1"]


def test_records_lacking_bands_point_to_missing_bands(tmp_path, monkeypatch, capsys):
    data, out = records_file(tmp_path, 2), tmp_path / "p.jsonl"

    def answer(model, processor, records, root, *a, **kw):
        return [{"id": r["id"], "task": r["task"], "answer": "", "inputs_digest": "x", "error": f"{r['id']}.tif: "
                 "modality 'sar' expects bands ['VV', 'VH']; missing ['VH'] among ['VV']"} for r in records]

    monkeypatch.setattr(evaluate, "answer_batch", answer)
    evaluate.run(None, None, data, out, batch_size=1, progress=False)
    # was only "record(s) with unreadable images, bands the model cannot take …": nothing said how to go on
    assert "2 of them lack bands the model expects" in (err := capsys.readouterr().err)
    assert "--missing-bands copy or mean fills them" in err
