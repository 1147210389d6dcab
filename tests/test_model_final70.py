"""Model, final read of stop 70: the base-vocabulary check build_llm makes is one public function (the bench times
it, not a copy), and a save into an old merged folder drops that folder's merged_lora.json."""

from __future__ import annotations


def test_base_vocab_end_is_one_past_the_last_id_that_is_not_rsvlms():
    from rsvlm.tokens import all_special_tokens, base_vocab_end

    ours = all_special_tokens()
    vocab = {**{f"tok_{i}": i for i in range(30)}, **{t: 30 + i for i, t in enumerate(ours)}}
    assert base_vocab_end(vocab) == 30
    assert base_vocab_end({**vocab, ours[0]: 5000, "tok_0": 4000}) == 4001  # a plain entry past rsvlm's tokens
    assert base_vocab_end({t: i for i, t in enumerate(ours)}) == 0 == base_vocab_end({})


def test_an_unmerged_model_saved_into_an_old_merged_folder_loads_with_its_adapter(ckpt, tmp_path):
    """The old merged_lora.json named this very adapter: left there, the save refused its own adapter on load."""
    from rsvlm.model import load_pretrained, merge_lora

    merged = merge_lora(ckpt, tmp_path / "merged")
    assert (merged / "merged_lora.json").is_file()
    model, _ = load_pretrained(ckpt)
    model.save_pretrained(merged)
    assert not (merged / "merged_lora.json").exists() and (merged / "adapter").is_dir()
    load_pretrained(merged)
