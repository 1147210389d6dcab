"""Review 78 (area A): the bf16-save-in-float32 rounding rule still refuses a base one bf16 step off in a row the
save did not add; an unwritable ``--out`` of average_checkpoints is refused as an error line, not a traceback, and
the write probe leaves nothing behind."""

from pathlib import Path

import pytest
import torch
from test_model_tour78 import lora_save_of


def _one_bf16_step(x: torch.Tensor) -> torch.Tensor:
    """``x`` (one value) moved to the next bfloat16 value up, in ``x``'s dtype."""
    b = x.to(torch.bfloat16).reshape(1)
    return (b.view(torch.int16) + 1).view(torch.bfloat16).to(x.dtype).reshape(x.shape)


@pytest.mark.parametrize("base_dtype", [torch.bfloat16, torch.float32])
def test_a_base_one_bf16_step_off_in_an_old_row_is_refused(tmp_path, base_dtype):
    """e61ede2e compares rounded to the save's dtype in every tensor (a float32 base needs it in all of them): a
    base whose token row 5 (one of the base's 260, not rsvlm's) moved by one bf16 step is another model."""
    from safetensors.torch import load_file, save_file

    from rsvlm.model.checkpoint import load_pretrained

    ckpt, base = lora_save_of(base_dtype, torch.bfloat16, tmp_path)
    load_pretrained(ckpt, dtype="float32", overrides=[f"llm.name_or_path={base}"])  # the base itself loads
    sd = load_file(str(base / "model.safetensors"))
    emb = sd["model.embed_tokens.weight"].clone()
    emb[5, 0] = _one_bf16_step(emb[5, 0])
    assert emb.dtype == base_dtype and emb.shape[0] == 260
    save_file({**sd, "model.embed_tokens.weight": emb}, str(base / "model.safetensors"), metadata={"format": "pt"})
    with pytest.raises(ValueError, match=r"holds other values than .*llm/model\.safetensors"):
        load_pretrained(ckpt, dtype="float32", overrides=[f"llm.name_or_path={base}"])


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc (a folder no one can make folders in)")
def test_average_refuses_an_unwritable_out_in_one_line(tmp_path, monkeypatch, capsys):
    """9261d4f4's NotWritable was caught by export_step and merge-lora but not here: a traceback."""
    from script_loader import load_script

    average = load_script("average_checkpoints", monkeypatch)
    for name in "ab":
        (tmp_path / name).mkdir()
    assert average.main([str(tmp_path / "a"), str(tmp_path / "b"), "--out", "/proc/rsvlm_x"]) == 2
    assert capsys.readouterr().err == ("error: /proc/rsvlm_x: cannot write in /proc (No such file or directory); "
                                       "write the average into a folder you can write\n")


def test_the_write_probe_makes_no_folder_of_out_or_its_parents(tmp_path):
    from rsvlm.model.out_folder import check_new_folder

    check_new_folder(tmp_path / "a" / "b" / "merged", "merged checkpoint", "merge")
    assert list(tmp_path.iterdir()) == []


def test_a_cut_bin_is_called_cut_not_pickled_objects(tmp_path):
    """89eba278's refusal read '(PytorchStreamReader failed … your checkpoint file is, which rsvlm never unpickles);
    re-save it with safetensors' for a cut download: it holds no pickled objects, and fetching it again is the fix."""
    from rsvlm.model.vision import read_state_dict

    whole = tmp_path / "pytorch_model.bin"
    torch.save({"w": torch.zeros(1000)}, whole)
    cut = tmp_path / "cut.bin"
    cut.write_bytes(whole.read_bytes()[:2000])
    with pytest.raises(ValueError) as e:
        read_state_dict(cut, advice="re-save it with safetensors")
    assert str(e.value) == (f"{cut}: cannot be read as a torch file, cut or damaged (RuntimeError: PytorchStreamReader "
                            "failed reading zip archive: failed finding central directory); fetch or save it again")
    assert torch.equal(read_state_dict(whole)["w"], torch.zeros(1000))
