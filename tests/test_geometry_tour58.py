"""Tour 58: the tokenizer and the geometry codec used as a demanding user would (odd and bad input)."""

import pytest

from rsvlm.tokenizer import load_tokenizer


@pytest.fixture(scope="module")
def byte_dir(tmp_path_factory):
    """A tiny byte-level tokenizer saved in HF layout (no download)."""
    from rsvlm.model.llm import byte_tokenizer

    d = tmp_path_factory.mktemp("bytetok")
    byte_tokenizer().save_pretrained(d)
    return d


def test_load_tokenizer_names_a_folder_without_one_a_file_and_a_cut_file(tmp_path, byte_dir):
    ckpt = tmp_path / "ckpt"
    (ckpt / "tokenizer").mkdir(parents=True)
    # was transformers' "Couldn't instantiate the backend tokenizer … install sentencepiece or tiktoken"
    with pytest.raises(FileNotFoundError, match=r"ckpt holds no tokenizer .*rsvlm checkpoint, whose tokenizer is .*ckpt/tokenizer"):
        load_tokenizer(ckpt)
    with pytest.raises(FileNotFoundError, match=r"tokenizer: .*tokenizer.json is a file; give the folder"):  # "Repo id must be …"
        load_tokenizer(byte_dir / "tokenizer.json")
    cut = tmp_path / "cut"
    cut.mkdir()
    for f in byte_dir.iterdir():
        (cut / f.name).write_bytes(f.read_bytes())
    (cut / "tokenizer.json").write_bytes((byte_dir / "tokenizer.json").read_bytes()[:500])
    with pytest.raises(ValueError, match=r"tokenizer .*cut: cannot be read \(JSONDecodeError"):  # a bare JSONDecodeError
        load_tokenizer(cut)
    assert len(load_tokenizer(byte_dir)) > 1000  # the folder itself still loads, rsvlm's tokens added
