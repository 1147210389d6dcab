"""A question's shape in another tool's plain numbers (``<bbox>100,100,500,500</bbox>``) was asked unsaid:
``shape_problem`` read questions only where a tag the model knows or a location token was written."""

from rsvlm.inference import shape_problem


def test_plain_numbers_in_a_foreign_box_tag_are_said():
    said = shape_problem("[regcap] What is in <bbox>100,100,500,500</bbox>?")
    assert said is not None
    assert "<bbox>100,100,500,500</bbox> holds plain numbers" in said
    assert "<box><loc_X1><loc_Y1><loc_X2><loc_Y2></box>" in said  # and how the model's box is written


def test_numbers_and_angle_brackets_without_a_shape_stay_unsaid():
    assert shape_problem("[vqa] Is a < b in 12, 13?") is None
    assert shape_problem("[vqa] Is the <b>12</b> ship big?") is None  # a word that may mean no shape
    assert shape_problem("[count] How many of 3 ships are in the harbour?") is None


def test_a_stray_image_given_three_times_is_said_three_times(tmp_path, monkeypatch, capsys):
    """``rsvlm predict --image a.png a.png a.png`` said "a.png given twice" (repeats were kept once, and the
    ``--image`` value not counted)."""
    import pytest

    from rsvlm.cli import main

    (tmp_path / "a.png").write_bytes(b"x")
    monkeypatch.chdir(tmp_path)
    for argv, said in ((["--image", "a.png", "a.png", "a.png"], "a.png given 3 times"),
                       (["--image", "b.png", "a.png", "a.png"], "a.png given twice"),
                       (["--image=a.png", "a.png", "a.png", "a.png"], "a.png given 4 times")):
        (tmp_path / "b.png").write_bytes(b"y")
        with pytest.raises(SystemExit) as e:
            main(["predict", "--task", "cls", *argv])
        assert e.value.code == 2
        assert said in capsys.readouterr().err
