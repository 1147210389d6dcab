"""TextStreamer.step and finished rows (stop 59)."""

from rsvlm.model.vlm import TextStreamer


class CountingTokenizer:
    """Decodes ids as letters and counts its calls."""

    def __init__(self):
        self.calls = 0

    def decode(self, ids, skip_special_tokens=False):
        self.calls += 1
        return "".join(chr(ord("a") + i) for i in ids)


def test_a_finished_row_is_not_decoded_again():
    """``decode`` hands a row that ended at an earlier step to ``on_step`` as ``[]``; the streamer
    still called the tokenizer for it, once per finished row at every step of the longest answer."""
    tok = CountingTokenizer()
    streamer = TextStreamer(tok, eos_ids={25}, stop_strings=["cd"])
    stopped = streamer.step([[], [0, 1], [], [2, 3]])  # rows 0 and 2 finished; row 3 wrote "cd"
    assert stopped == [False, False, False, True]
    assert tok.calls == 2
