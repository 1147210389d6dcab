"""Model, tour 77 (b): one safetensors header reader for the cut-file note and the base fingerprint; the
transformers-source scan for another model's config field runs once per key per build."""
import json
import struct
from pathlib import Path

import torch
from safetensors.torch import save_file


def _file(tmp_path: Path) -> Path:
    path = tmp_path / "model.safetensors"
    save_file({"a": torch.ones(64), "b": torch.zeros(8, 8)}, str(path))
    return path


def test_the_header_reader_says_where_a_file_is_cut(tmp_path):
    from rsvlm.model.weights import cut_note, safetensors_header

    path = _file(tmp_path)
    n, header = safetensors_header(path)
    whole = path.read_bytes()
    assert set(header) == {"a", "b"} and len(whole) == 8 + n + 64 * 4 + 64 * 4 and cut_note(path) == ""
    path.write_bytes(whole[:-10])  # cut in the data: the header's end offset against the size
    assert cut_note(path).startswith(f"; its header promises {len(whole)} bytes but it holds {len(whole) - 10}: cut")
    path.write_bytes(whole[:20])  # cut inside the header: its length alone
    assert safetensors_header(path) == (n, None) and f"promises {8 + n} bytes but it holds 20" in cut_note(path)


def test_the_fingerprint_reads_headers_through_the_same_reader(tmp_path):
    from rsvlm.model.base_print import fingerprint

    path = _file(tmp_path)
    whole = path.read_bytes()
    assert fingerprint(tmp_path) is not None
    path.write_bytes(whole[:20])
    assert fingerprint(tmp_path) is None  # cut in its header: the load names it
    text = b"[1, 2]"  # a header that is JSON but no object: was an AttributeError out of fingerprint
    path.write_bytes(struct.pack("<Q", len(text)) + text)
    assert fingerprint(tmp_path) is None
    path.write_bytes(struct.pack("<Q", 1 << 40) + json.dumps({}).encode())
    assert fingerprint(tmp_path) is None
