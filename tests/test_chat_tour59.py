"""``rsvlm chat`` toured with piped input as a demanding user drives it: the loading line on stderr,
the slash commands in their own module, and what the tour found."""

from test_chat_tour54 import chat_main


def test_the_model_loading_is_said_on_stderr_with_its_time_and_stdout_stays_clean(ckpt, geotiff, monkeypatch,
                                                                                   capsys):
    assert chat_main(["--model", str(ckpt), "--image", str(geotiff), "--max-new-tokens", "2"], ["/help"],
                     monkeypatch) == 0
    said = capsys.readouterr()  # was silent for the seconds (minutes) the model took to load
    err = said.err.splitlines()
    assert err[0] == f"rsvlm chat: loading model from {ckpt} …"
    assert err[1].startswith("rsvlm chat: model loaded in ") and err[1].endswith(" s")
    float(err[1].split(" in ")[1][:-2])
    assert "loading" not in said.out and "loaded in" not in said.out and "/image PATH" in said.out


def test_a_model_that_is_not_there_is_said_without_a_loading_line(tmp_path, geotiff, monkeypatch, capsys):
    assert chat_main(["--model", str(tmp_path / "none"), "--image", str(geotiff)], [], monkeypatch) == 2
    err = capsys.readouterr().err
    assert err == f"rsvlm chat: {tmp_path / 'none'}: not an rsvlm checkpoint (no such folder)\n"
