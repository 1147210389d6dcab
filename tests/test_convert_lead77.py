"""Stop 77 lead: dota pointed at a change set names the converter that reads it."""

from data_gen.__main__ import main


def test_dota_pointed_at_change_pairs_names_levir_cd(tmp_path, capsys):
    src = tmp_path / "cd"
    src.mkdir()
    for name in ("t_7_A.png", "t_7_B.png", "t_7_label.png"):  # LEVIR-CD's tiles as the real sample names them
        (src / name).write_bytes(b"")
    assert main(["convert", "dota", "--src", str(src), "--out", str(tmp_path / "o")]) == 2
    assert f"no labelTxt files; it holds change pairs: python -m data_gen convert levir-cd --src {src}" in \
        capsys.readouterr().err


def test_dota_pointed_at_a_folder_of_plain_images_gets_no_pairs_hint(tmp_path, capsys):
    src = tmp_path / "imgs"
    src.mkdir()
    (src / "a_A.png").write_bytes(b"")  # no a_B.png beside it: no pair
    assert main(["convert", "dota", "--src", str(src), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "no labelTxt files" in err and "levir-cd" not in err
