"""predict's --tile note names the task as the user gave it (d9a11e1a reads it from --prompt's tag)."""
from rsvlm.cli import main


def test_a_tiled_question_whose_task_is_its_prompt_s_tag_is_named_by_the_tag(geotiff, tmp_path, capsys):
    """Was "--task count is answered per tile" to a user who gave no --task, only --prompt '[count] ...'."""
    main(["predict", "--model", str(tmp_path / "no-model"), "--image", str(geotiff), "--device", "cpu",
          "--prompt", "[count] How many ships are there?", "--tile", "32"])
    err = capsys.readouterr().err
    assert "--prompt's [count] is answered per tile" in err and "--task count" not in err
    main(["predict", "--model", str(tmp_path / "no-model"), "--image", str(geotiff), "--device", "cpu",
          "--task", "count", "--tile", "32"])
    assert "--task count is answered per tile" in capsys.readouterr().err
