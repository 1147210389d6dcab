"""Stop 73, model lead (b): a failed write into an ``out`` that is a symlink to an empty folder keeps its real error."""
import pytest

from rsvlm.model.checkpoint import script_write, undone_on_failure


def _half_write(out):
    (out / "vision.safetensors").write_bytes(b"half")
    raise OSError(28, "No space left on device")


def test_symlinked_out_keeps_the_real_error_and_is_left_as_it_was(tmp_path):
    target = tmp_path / "target"
    target.mkdir()
    out = tmp_path / "out"
    out.symlink_to(target, target_is_directory=True)
    with pytest.raises(OSError, match="No space left on device"):
        with undone_on_failure(out):
            _half_write(out)
    assert out.is_symlink() and target.is_dir() and not any(target.iterdir())


def test_script_write_into_symlinked_out_says_the_real_error(tmp_path, capsys):
    target = tmp_path / "target"
    target.mkdir()
    out = tmp_path / "out"
    out.symlink_to(target, target_is_directory=True)
    assert script_write(lambda: _half_write(out), out, True, "nothing written", "interrupted") == 2
    err = capsys.readouterr().err
    assert "No space left on device; nothing written" in err and "File exists" not in err
    assert out.is_symlink() and not any(target.iterdir())
