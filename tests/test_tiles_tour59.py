"""Tour 59: run_tiled's progress bar on a terminal only."""

import io
import sys

import numpy as np
from conftest import Terminal


def test_the_tiles_bar_draws_on_a_terminal_and_writes_lines_on_a_pipe(tmp_path, monkeypatch):
    """``predict --tile`` piped to a file wrote a bar redrawn at each batch into it (``disable=not progress``
    asked nothing of the stream); then it hid itself there, and a long tiled run said nothing for hours; it
    now writes plain lines there (``rsvlm.progress.bar``, bcee18f), its final count among them."""
    from PIL import Image

    from rsvlm.io import run_tiled

    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(tmp_path / "s.png")
    for err, redrawn in ((io.StringIO(), False), (Terminal(), True)):
        monkeypatch.setattr(sys, "stderr", err)
        assert run_tiled(tmp_path / "s.png", lambda ims: [[] for _ in ims], tile=32, overlap=0) == []
        assert "tiles of " in err.getvalue() and "4/4" in err.getvalue(), err.getvalue()
        assert ("\r" in err.getvalue()) == redrawn, repr(err.getvalue())
