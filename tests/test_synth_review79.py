"""Review of stop 79's synth work: the memory --size's help says is the start line's, the start line is said once
and only without a terminal, and words from build.yaml are not said to be the command line's in any branch."""

from __future__ import annotations

import io
import re

import pytest


def test_the_size_help_and_the_start_line_say_the_same_memory_at_4096_px():
    """--size's help said 4.2 GB a worker, 5.4 for a pair (measured) while peak_bytes, the start line's and the
    memory note's figure, said 4.6 and 5.9."""
    from data_gen.__main__ import synth_parser
    from data_gen.synth.run import peak_bytes

    text = next(a.help for a in synth_parser()._actions if "--size" in a.option_strings)
    said = re.search(r"4096 takes about ([\d.]+) GB of memory a worker, ([\d.]+) GB for a pair", text)
    assert said, text
    assert said.groups() == (f"{peak_bytes(4096, 0) / 1e9:.1f}", f"{peak_bytes(4096, 0.25) / 1e9:.1f}")
    assert said.groups() == ("4.2", "5.4")  # the peak RSS measured at stop 78's review: 4.22 and 5.42 GB


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("tty", [True, False])
def test_the_start_line_is_said_once_and_only_where_no_bar_is_drawn(tty, tmp_path, monkeypatch):
    """On a terminal the bar says the run has begun; the start line is for a log, once."""
    import sys

    from data_gen.synth.config import SynthConfig
    from data_gen.synth.run import synthesize
    from rsvlm.config import load_config

    err = _Tty() if tty else io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    synthesize(tmp_path / "o", 1, 0, load_config(SynthConfig, None, ["scene.size=32"]), verbose=False)
    starts = [ln for ln in err.getvalue().replace("\r", "\n").splitlines() if ln.startswith("synth: 1 scene of")]
    assert starts == ([] if tty else ["synth: 1 scene of 32 px x 4 modalities, 1 worker; up to about 0.1 GB of "
                                      "memory a process at the peak"]), err.getvalue()


@pytest.mark.parametrize("source, said", [("command line", " (command line)"), (None, "")])
def test_an_override_named_later_in_a_refusal_keeps_the_callers_source(source, said, tmp_path):
    """value_blamed's own branch (an override of a key the refusal names after its first) says "(command line)";
    build_stages passes source None for build.yaml's extra.data words, which no command line typed."""
    from data_gen.__main__ import synth_config, synth_parser

    cfg = tmp_path / "data.yaml"
    cfg.write_text("instructions:\n  task_weights: {cls: 0, vqa: 0, cap: 0, count: 0, det: 0, ground: 0, regcap: 0, "
                   "seg: 0, change: 1}\n")
    a = synth_parser().parse_args(["--out", "o", "--n", "1", "scene.pairs_fraction=0"])
    with pytest.raises(ValueError) as e:
        synth_config(a, str(cfg), source)
    assert str(e.value).startswith(f"override 'scene.pairs_fraction=0'{said}: instructions.task_weights {{cls: 0"), \
        str(e.value)
    assert str(e.value).endswith("but scene.pairs_fraction is 0: no record could be made")
