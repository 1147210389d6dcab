"""Model, review 77 (P6): a safetensors header whose entries are no tensors' gives no base fingerprint (the load
names the file); it was a TypeError or KeyError traceback out of ``fingerprint``."""
import json
import struct

import pytest


@pytest.mark.parametrize("entry", [5, {"shape": [2], "data_offsets": [0, 8]}, {"dtype": "F32", "shape": [2]},
                                   {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]},
                                   {"dtype": "F32", "shape": [2], "data_offsets": ["0", "8"]}])
def test_an_edited_header_entry_gives_no_fingerprint(tmp_path, entry):
    from rsvlm.model.base_print import fingerprint

    text = json.dumps({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": entry}).encode()
    (tmp_path / "model.safetensors").write_bytes(struct.pack("<Q", len(text)) + text + bytes(8))
    assert fingerprint(tmp_path) is None and fingerprint(tmp_path, ends=True) is None
    good = json.dumps({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}).encode()
    (tmp_path / "model.safetensors").write_bytes(struct.pack("<Q", len(good)) + good + bytes(8))
    assert fingerprint(tmp_path) is not None
