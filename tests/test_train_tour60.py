"""Tour 60 (training): what a run keeps of the PNGs it found whole does not grow per file; typos in
``data.task_weights`` and a batch larger than the data are refused by the preflight."""

import os
import struct
import zlib

import numpy as np

from rsvlm.io import read_image


def _png(path, size: int = 8, keep: float = 1.0):
    """An RGB PNG whose compressed stream holds the first ``keep`` of its rows, chunks well formed."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    arr = (np.arange(size * size * 3) % 251 + 1).astype(np.uint8).reshape(size, size, 3)  # (H, W, 3)
    raw = b"".join(b"\x00" + arr[y].tobytes() for y in range(size))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(raw[:int(len(raw) * keep)])) + chunk(b"IEND", b""))


def _count_checks(monkeypatch) -> list:
    from rsvlm.io import pngcheck

    seen, check = [], pngcheck.check_png_data
    monkeypatch.setattr(pngcheck, "check_png_data", lambda p: (seen.append(p.name), check(p))[1])
    return seen


def test_whole_pngs_are_remembered_in_a_table_of_fixed_size_not_a_set_that_grows_per_file(tmp_path, monkeypatch):
    """A set of (path, size, mtime) keys grew by an entry per file, and by one more per file rewritten, for
    as long as the run went on (and went to every epoch's workers); the table is made once, its size set
    by the number of records, and each PNG is still checked once."""
    from rsvlm.train.whole import WholeFiles

    files = [tmp_path / f"im{i}.png" for i in range(6)]
    for f in files:
        _png(f)
    seen, whole = _count_checks(monkeypatch), WholeFiles(3)  # 3 records of 2 images
    size = whole.table.nbytes
    for _ in range(3):  # three epochs
        for f in files:
            read_image(f, png_checked=whole)
    assert sorted(seen) == sorted(f.name for f in files) and len(whole) == 6  # each checked once, on its first read
    for n in range(40):  # a file rewritten over and over: a new key each time, the table the same size
        _png(files[0])
        os.utime(files[0], ns=(10**9 * (n + 1),) * 2)
        read_image(files[0], png_checked=whole)
    assert whole.table.nbytes == size and len(seen) == 6 + 40


def test_a_full_table_forgets_some_files_which_are_then_checked_again_never_passed(monkeypatch):
    """Where both buckets of a key are full, it takes a slot: the file it displaced is checked at its next read
    (a cost), and a key never found whole is never taken as whole."""
    from rsvlm.train import whole as W

    monkeypatch.setattr(W, "MIN_SLOTS", 4)
    monkeypatch.setattr(W, "SLOTS_PER_RECORD", 1)
    table = W.WholeFiles(1)  # one bucket of 4 slots
    assert table.table.size == W.WAYS == 4
    keys = [(f"/x/{i}.png", 10, i) for i in range(50)]
    for k in keys:
        table.add(k)
    assert len(table) == 4 and sum(k in table for k in keys) == 4 and keys[-1] in table
    assert ("/x/never.png", 10, 0) not in table


def test_the_dataset_keeps_its_checked_pngs_in_a_table_of_the_index_size(tmp_path, monkeypatch):
    """``SFTDataset.png_checked`` (and the contrastive loop's) is a ``WholeFiles`` for the index's records;
    a worker's keys noted in the main process (``note_checked``) are known to the next epoch's reads."""
    from rsvlm.train.data import SFTDataset
    from rsvlm.train.whole import WholeFiles

    ds = SFTDataset(list(range(5)), tmp_path, None, None, 64)
    assert isinstance(ds.png_checked, WholeFiles) and ds.png_checked.table.size == WholeFiles(5).table.size >= 5
    key = ("/data/a.png", 100, 7)
    ds.note_checked([key, key])
    assert key in ds.png_checked and len(ds.png_checked) == 1



def test_the_training_docs_stay_short_and_link_the_pages_split_from_them():
    """docs/training.md had grown to 498 lines; bad data and the location losses went to pages of their own,
    linked both ways, and the default model's notes on the pointer point at the new page."""
    from pathlib import Path

    docs = Path(__file__).resolve().parents[1] / "docs"
    training = (docs / "training.md").read_text()
    assert len(training.splitlines()) < 450
    for page, said in (("bad-data.md", "data.max_bad_fraction"), ("locations.md", "loss.pointer_weight")):
        assert f"]({page})" in training and "](training.md)" in (docs / page).read_text()
        assert said in (docs / page).read_text()
    for page in [docs / "default-model.md", *(docs / "default-model").glob("*.md")]:  # the page and its split
        assert "docs/training.md, \"The location pointer\"" not in page.read_text(), page.name


def _sft_argv(tmp_path, data, *more):
    from test_train_utils import recipe

    return ["--config", str(recipe(tmp_path)), f"data.train={data}", f"out_dir={tmp_path / 'run'}",
            "log.progress=false", "max_steps=1", *more]


def _no_build(monkeypatch):
    """The model build fails the test: the preflight must refuse first."""
    import rsvlm.model

    def build(*_a, **_k):
        raise AssertionError("the model was built before the refusal")

    monkeypatch.setattr(rsvlm.model, "create_model", build)


def test_a_task_weights_typo_is_refused_before_the_model_is_built(tmp_path, monkeypatch, capsys):
    """'detect' (for det) was found once the model was built and the data read: exit 1, out_dir written."""
    from test_train_utils import make_records

    from rsvlm.train import main as train_main

    _no_build(monkeypatch)
    data = make_records(tmp_path / "d", n=8, ir_every=0)
    assert train_main(_sft_argv(tmp_path, data, "data.task_weights={detect: 2, cls: 1}")) == 2
    err = capsys.readouterr().err
    assert "data.task_weights['detect']: not a task; the tasks are cls, vqa" in err and "did you mean 'det'?" in err
    assert not (tmp_path / "run").exists()


def test_a_batch_larger_than_the_data_is_refused_before_the_model_is_built(tmp_path, monkeypatch, capsys):
    """It was DataPlanError 'cannot fill one global batch' once the model was built and out_dir written."""
    from test_train_utils import make_records

    from rsvlm.train import main as train_main

    _no_build(monkeypatch)
    data = make_records(tmp_path / "d", n=3, ir_every=0)
    data.write_text(data.read_text() + "{not json\n")
    assert train_main(_sft_argv(tmp_path, data, "batch_size=4")) == 2
    err = capsys.readouterr().err
    assert ("batch_size=4: data.train holds 3 usable records (1 malformed record left out), fewer than one "
            "global batch of 4 (batch_size × 1 process)") in err and "give batch_size=3 or lower" in err, err
    assert not (tmp_path / "run").exists()


def test_a_records_file_of_malformed_lines_only_is_refused_before_the_model_is_built(tmp_path, monkeypatch, capsys):
    from test_train_utils import make_records

    from rsvlm.train import main as train_main

    _no_build(monkeypatch)
    good = make_records(tmp_path / "d", n=8, ir_every=0)
    bad = tmp_path / "d" / "bad.jsonl"
    bad.write_text('{not json\n{"id": "x"}\n')
    for data, extra in ((bad, []), (good, [f"data.extra=[{{path: {bad}}}]"])):
        assert train_main(_sft_argv(tmp_path, data, *extra)) == 2
        err = capsys.readouterr().err
        key = "data.train" if data == bad else "data.extra[0].path"
        assert f"{key}: {bad}: no usable record: all 2 of its records are malformed" in err and "invalid JSON: 1" in err, err
    cut = tmp_path / "d" / "cut.json"  # a JSON array cut short: was exit 1 once the run had started
    cut.write_text('[{"id": "x"},\n')
    assert train_main(_sft_argv(tmp_path, cut)) == 2
    assert f"data.train: {cut}: no usable record: not valid JSON (" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_a_resume_that_trains_no_step_leaves_its_step_folder_as_it_was(tmp_path, capsys):
    """Resumed at max_steps (max_steps not raised), the run trained nothing, said "done: 2 steps", and saved
    its step folder again with its own settings (here optim.lr and batch_size), which those steps were not
    trained with: the next resume compared against them."""
    from test_train_utils import make_records

    from rsvlm.train import main as train_main

    data = make_records(tmp_path / "d", n=8, ir_every=0)
    argv = _sft_argv(tmp_path, data, "max_steps=2", "ckpt.every=1")
    assert train_main(argv) == 0
    step = tmp_path / "run" / "checkpoints" / "step_000002"
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in step.iterdir()}
    capsys.readouterr()
    assert train_main([*argv, "ckpt.resume=auto", "optim.lr=1e-5", "batch_size=2"]) == 0
    assert "the checkpoint is at step 2, at max_steps=2: nothing to train (raise max_steps" in capsys.readouterr().err
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in step.iterdir()} == before
    assert (tmp_path / "run" / "final" / "train_config.yaml").is_file()


def test_an_out_dir_that_cannot_be_made_is_named(tmp_path, monkeypatch):
    """Where the preflight's access check cannot tell (root on a read-only or /sys-like folder), making out_dir
    failed with errno's line alone ("PermissionError: [Errno 1] Operation not permitted: '/sys/run'")."""
    import errno
    from pathlib import Path

    import pytest

    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.resume import start_out_dir

    def refuse(self, *a, **k):
        raise PermissionError(errno.EPERM, "Operation not permitted", str(self))

    out = tmp_path / "ro" / "run"
    cfg = load_config(TrainConfig, None, [f"out_dir={out}", "data.train=t.jsonl"])
    monkeypatch.setattr(Path, "mkdir", refuse)
    with pytest.raises(PermissionError, match=rf"^out_dir {out}: cannot write there \(Operation not permitted\); give"):
        start_out_dir(cfg, 0)
