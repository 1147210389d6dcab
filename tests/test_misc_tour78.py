"""Stop 78, items routed between areas: the CLI's refusal of an --out no folder can be made in, a data_gen
override named as typed, and the hint for a folder of images given as one image."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc (a folder no one can make folders in)")
@pytest.mark.parametrize("argv, verb", [
    (["merge-lora", "--model", "{tmp}/no_model", "--out", "/proc/rsvlm_x/merged"], "merge"),
    (["convert-llava", "--src", "{tmp}/llava", "--out", "/proc/rsvlm_x/converted"], "convert"),
])
def test_an_out_folder_nothing_can_be_written_in_is_said_without_a_class_name(tmp_path, capsys, argv, verb):
    """``rsvlm merge-lora --out /proc/x`` said "rsvlm merge-lora: NotWritable: /proc/x/merged: cannot write in
    /proc …": a Python class name a user need not see, beside a message that says it all."""
    from rsvlm.cli import main

    (tmp_path / "llava").mkdir()
    (tmp_path / "llava" / "config.json").write_text("{}")
    command = argv[0]
    assert main([a.replace("{tmp}", str(tmp_path)) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"rsvlm {command}: /proc/rsvlm_x/") and "NotWritable" not in err, err
    assert err.rstrip().endswith(f"{verb} into a folder you can write") and err.count("\n") == 1, err
