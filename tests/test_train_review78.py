"""Review of stop 78 (E), training: DeepSpeed's start-up lines held for ``out_dir/setup.log`` (``chatter``)."""

from __future__ import annotations

import logging
import subprocess
import sys
import types
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _fake_deepspeed(monkeypatch):
    """A ``deepspeed`` whose group start prints as the real one does on CPU, and a one-process launch."""
    from rsvlm.train import run

    fake = types.ModuleType("deepspeed")
    fake.init_distributed = lambda **_k: print("DeepSpeed deepspeed.ops.comm.deepspeed_shm_comm_op built successfully")
    monkeypatch.setitem(sys.modules, "deepspeed", fake)
    monkeypatch.setattr(run, "check_launch", lambda cfg, ddp=False: (1, 0, False))
    monkeypatch.setattr(run.torch.distributed, "get_rank", lambda: 0)
    monkeypatch.setattr(run.torch.distributed, "get_world_size", lambda: 1)


@pytest.mark.parametrize("verbose", [False, True])
def test_log_verbose_prints_deepspeeds_lines_else_they_are_held(monkeypatch, capsys, verbose):
    """``log.verbose`` (LogConfig) is what setup_distributed hands ``kept``: printed as DeepSpeed prints them, or
    held for setup.log and off the terminal."""
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.run import setup_distributed

    _fake_deepspeed(monkeypatch)
    cfg = TrainConfig()
    cfg.dist.deepspeed, cfg.log.verbose = "zero2.json", verbose
    said: list[str] = []
    assert setup_distributed(cfg, said=said)[:2] == (0, 1)
    out = capsys.readouterr().out
    assert ("built successfully" in out) is verbose
    assert ("built successfully" in "".join(said)) is not verbose


def test_a_setup_log_not_written_by_rsvlm_is_neither_replaced_nor_removed(tmp_path, capsys):
    """out_dir may be a folder of the user's: its own setup.log was overwritten by a DeepSpeed start and deleted by
    any other start (as "an earlier start's"); now only a file of ``[rank N]`` lines is, and the held lines are
    counted on stderr where they could not be written."""
    from rsvlm.train.chatter import write_setup_log

    theirs = tmp_path / "setup.log"
    theirs.write_text("python setup.py build: ok\n")
    assert write_setup_log(tmp_path, [""], 0, 1) is None and theirs.read_text() == "python setup.py build: ok\n"
    assert write_setup_log(tmp_path, ["a\nb\n"], 0, 1) is None and theirs.read_text() == "python setup.py build: ok\n"
    err = capsys.readouterr().err
    assert f"{theirs} is not an rsvlm setup log, left as it is; DeepSpeed's 2 start-up line(s) were not written" in err
    theirs.write_text("")  # an empty file is not one this module writes (it removes instead)
    assert write_setup_log(tmp_path, [""], 0, 1) is None and theirs.exists()

    theirs.write_text("[rank 0] an earlier start's line\n[rank 1] another\n")  # ours: replaced, or removed
    assert write_setup_log(tmp_path, ["now\n"], 0, 1) == theirs and theirs.read_text() == "[rank 0] now\n"
    assert write_setup_log(tmp_path, [""], 0, 1) is None and not theirs.exists()


def test_a_setup_log_that_cannot_be_written_is_said_and_the_run_goes_on(tmp_path, capsys):
    """Rank 0 raised alone after the gather (the others went on to DeepSpeed's next collective and waited there)."""
    from rsvlm.train.chatter import write_setup_log

    gone = tmp_path / "gone"
    assert write_setup_log(gone, ["x\n"], 0, 1) is None
    assert f"{gone / 'setup.log'}: No such file or directory; DeepSpeed's 1 start-up line(s)" in capsys.readouterr().err


def test_the_held_loggers_level_is_put_back_with_its_cache(capsys):
    """``kept`` set the logger's ``.level`` back directly: the INFO asked while held stayed enabled (logging caches
    isEnabledFor; setLevel clears it)."""
    from rsvlm.train.chatter import kept

    lg = logging.getLogger("torch.utils.cpp_extension")
    before = (lg.level, lg.isEnabledFor(logging.INFO), lg.propagate, list(lg.handlers))
    said: list[str] = []
    with kept(said):
        lg.info("building")
    assert "INFO torch.utils.cpp_extension: building" in said[0]
    assert (lg.level, lg.isEnabledFor(logging.INFO), lg.propagate, list(lg.handlers)) == before


def test_deepspeeds_own_logger_is_not_left_writing_into_the_held_buffer():
    """DeepSpeed's logger takes the sys.stdout of its import: imported first inside ``kept``, every later DeepSpeed
    warning of the run went into the held buffer and was lost. setup_distributed imports it before holding."""
    code = """
import logging, sys
assert "deepspeed" not in sys.modules
from rsvlm.train import run
from rsvlm.train.config import TrainConfig
assert "deepspeed" not in sys.modules
run.check_launch = lambda cfg, ddp=False: (1, 0, False)
run.torch.distributed.get_rank = lambda: 0
run.torch.distributed.get_world_size = lambda: 1
import importlib.abc
class Stub(importlib.abc.MetaPathFinder):  # the real package, with a group start that does not start one
    def find_spec(self, name, path=None, target=None):
        if name != "deepspeed":
            return None
        sys.meta_path.remove(self)
        import importlib.util
        spec = importlib.util.find_spec("deepspeed")
        run_module = spec.loader.exec_module
        def exec_module(module):
            run_module(module)
            module.init_distributed = lambda **k: None
        spec.loader.exec_module = exec_module
        return spec
sys.meta_path.insert(0, Stub())
cfg = TrainConfig()
cfg.dist.deepspeed = "zero2.json"
run.setup_distributed(cfg, said=[])
from deepspeed.utils import logger
logger.warning("a later DeepSpeed warning")
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "a later DeepSpeed warning" in done.stdout, done.stdout + done.stderr


def test_a_master_port_that_is_no_port_is_refused_naming_it(monkeypatch):
    """Was ``invalid literal for int() with base 10: 'x'`` (or torch's "port must have value …") from the group start."""
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.run import check_launch

    cfg = TrainConfig()
    cfg.dist.deepspeed = "zero2.json"
    for k, v in {"RANK": "0", "WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1", "LOCAL_RANK": "0"}.items():
        monkeypatch.setenv(k, v)
    for port in ("notaport", "99999", "0"):
        monkeypatch.setenv("MASTER_PORT", port)
        with pytest.raises(ValueError, match=f"MASTER_PORT={port} is not a port number"):
            check_launch(cfg)
    monkeypatch.setenv("MASTER_PORT", "29500")
    assert check_launch(cfg)[0] == 2
