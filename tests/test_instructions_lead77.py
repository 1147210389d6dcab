"""Stop 77 lead: rebuild's refusal of a converted folder names its record files, not the first alone."""

from data_gen.__main__ import main


def test_rebuild_of_a_converted_folder_names_its_record_files(tmp_path, capsys):
    conv = tmp_path / "conv"
    conv.mkdir()
    for name in ("records.jsonl", "chat.jsonl"):  # chat.jsonl sorts first: it alone was named
        (conv / name).write_text("")
    assert main(["rebuild", "--dir", str(conv), "--prefix", "p_", "--no-progress"]) == 2
    assert "holds records (chat.jsonl, records.jsonl) but no scenes" in capsys.readouterr().err
