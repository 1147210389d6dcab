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


def test_a_prompt_past_the_context_is_told_to_shorten_the_prompt(ckpt, geotiff, capsys):
    """Was "...; use a shorter text", naming no option (the text is VLM.check_context's, for every caller)."""
    assert main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--device", "cpu",
                 "--prompt", "[vqa] " + "how many ships are there " * 150]) == 2
    err = capsys.readouterr().err
    assert "but the LLM's context is 512 tokens" in err and err.rstrip().endswith("; use a shorter --prompt"), err


def test_text_advice_names_the_prompt_or_the_context():
    from types import SimpleNamespace

    from rsvlm.predict import text_advice

    said = "the prompt is 900 tokens (16 of them for images) but the LLM's context is 512 tokens; use a shorter text"
    assert text_advice(said, SimpleNamespace(prompt="[vqa] ...")).endswith("; use a shorter --prompt")
    assert text_advice(said, SimpleNamespace(prompt=None)).endswith("; use an LLM with a longer context (the "
                                                                   "task's question is short)")
    other = "the prompt is 900 tokens but the LLM's context is 512 tokens; use fewer images or a shorter text"
    assert text_advice(other, SimpleNamespace(prompt=None)) == other  # several images: the advice stands
