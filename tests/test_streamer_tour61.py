"""TextStreamer.strip drops every token of a stop string, a cut one too (stop 61)."""

from rsvlm.model.vlm import TextStreamer

PIECES = ["None", ".<|", "end", "|>", "<|", "ship", "\n"]  # a BPE that joins "." to the stop string's start


class PieceTokenizer:
    def decode(self, ids, skip_special_tokens=False):
        return "".join(PIECES[i] for i in ids)


def _streamer():
    return TextStreamer(PieceTokenizer(), eos_ids={99}, stop_strings=["<|end|>"])


def test_strip_drops_the_first_pieces_of_a_stop_string():
    """"None.<|end|>" as "None" ".<|" "end" "|>": strip dropped "|>" and stopped, as the text no longer
    held the whole stop string, keeping "None.<|end" in the answer's tokens."""
    s = _streamer()
    ids = [0, 1, 2, 3, 6]
    kept = s.strip(ids)
    assert kept == [0]
    assert s.answer(ids).startswith(PieceTokenizer().decode(kept))


def test_strip_drops_a_stop_string_the_limit_cut():
    """The token limit inside the stop string ("ship<|end"): no whole stop string, so nothing was dropped."""
    s = _streamer()
    ids = [5, 4, 2]
    assert s.answer(ids) == "ship"
    assert s.strip(ids) == [5]
    assert s.strip([5, 4, 2, 99]) == [5]  # an EOS after it too
    assert s.strip([5, 99]) == [5]
    assert s.strip([5, 6]) == [5, 6]  # no stop string: all kept
