"""Stop 63: ``python -m rsvlm.train`` whose reader goes away (``… 2>&1 | head -1``)."""
import sys

from conftest import ClosedPipe


def test_python_m_rsvlm_train_goes_on_when_its_reader_closes(tmp_path, monkeypatch):
    import rsvlm.train.__main__ as entry

    written = tmp_path / "written"

    def work():  # a progress line first, as the training bar
        print("step 1/3 …", file=sys.stderr)
        written.write_text("final/")
        return 0

    monkeypatch.setattr(entry, "main", lambda entry=False: work())  # run passes entry=True (3691ae29)
    monkeypatch.setattr(sys, "stderr", ClosedPipe())
    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert (entry.run(), written.read_text()) == (0, "final/")  # was BrokenPipeError: exit 1, nothing trained
