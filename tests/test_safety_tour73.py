"""Safety audit (stop 73): untrusted input is refused clearly or bounded, never an out-of-memory kill."""

from __future__ import annotations

import pytest

from rsvlm.config import MAX_YAML_VALUES, ConfigError, load_config, load_yaml
from rsvlm.train.config import TrainConfig
from rsvlm.train.init_from import own_llm


def alias_bomb(levels: int) -> str:
    """YAML whose ``levels`` lines of nested aliases stand for 10**(levels + 1) values."""
    lines = ["  - &x0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    lines += [f"  - &x{i} [{', '.join([f'*x{i - 1}'] * 10)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def test_yaml_alias_bomb_is_refused_naming_the_file(tmp_path):
    """Nine lines of aliases stood for 10**8 values: building them (and the repr in 'seed: expected int, got …')
    took 37 s and 1.2 GB, one level more an OOM kill. Refused before anything is built."""
    path = tmp_path / "recipe.yaml"
    path.write_text("seed:\n" + alias_bomb(6))  # 10**6 values
    with pytest.raises(ConfigError) as e:
        load_yaml(path)
    assert str(path) in str(e.value) and "aliases" in str(e.value) and f"{MAX_YAML_VALUES:,}" in str(e.value)
    assert len(str(e.value)) < 300
    with pytest.raises(ConfigError, match="alias bomb"):
        load_config(TrainConfig, path)


def test_yaml_anchors_within_bounds_still_load(tmp_path):
    """Ordinary anchors, merges and a recursive anchor load as before."""
    path = tmp_path / "recipe.yaml"
    path.write_text("base: &b {lr: 0.1, wd: 0.0}\nother:\n  <<: *b\n  lr: 0.2\nlists:\n" + alias_bomb(3)
                    + "loop: &a [*a]\n")
    data = load_yaml(path)
    assert data["other"] == {"lr": 0.2, "wd": 0.0}
    assert len(data["lists"]) == 3 and data["loop"][0] is data["loop"]


def test_checkpoint_config_alias_bomb_is_no_llm(tmp_path):
    """init_from's own_llm read a checkpoint's config.yaml with yaml.safe_load, unbounded."""
    (tmp_path / "config.yaml").write_text("llm:\n  name_or_path: llm\nbomb:\n" + alias_bomb(6))
    assert own_llm(tmp_path) is None
    (tmp_path / "config.yaml").write_text("llm:\n  name_or_path: llm\n")
    assert own_llm(tmp_path) == tmp_path / "llm"


def _mask_png(folder, name="mask.png"):
    import numpy as np
    from PIL import Image

    Image.fromarray(np.zeros((64, 64), np.uint8)).save(folder / name)
    return folder / name


def test_sem_mask_past_pil_pixel_limit_is_a_bad_sample(tmp_path, monkeypatch):
    """PIL's DecompressionBombError is no OSError nor ValueError: a huge meta.sem_mask stopped contrastive
    training with a traceback naming no file, where the loop counts a bad sample (OSError, ValueError)."""
    from PIL import Image

    from rsvlm.train.clip_heads import read_mask

    _mask_png(tmp_path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # 4096 px: past twice the limit
    with pytest.raises(ValueError, match=r"mask\.png: meta\.sem_mask is past PIL's pixel limit"):
        read_mask(tmp_path, "mask.png", "sem_mask")


def test_corrupt_sem_mask_is_a_bad_sample_naming_the_file(tmp_path):
    """A corrupt PNG chunk raised PIL's SyntaxError ('broken PNG file'), which stopped the run; a cut one an
    OSError naming no file."""
    from rsvlm.train.clip_heads import read_mask

    data = bytearray(_mask_png(tmp_path).read_bytes())
    data[60:80] = bytes(b ^ 0xFF for b in data[60:80])
    (tmp_path / "broken.png").write_bytes(bytes(data))
    (tmp_path / "cut.png").write_bytes(bytes(data[: len(data) // 2]))
    with pytest.raises(ValueError, match=r"broken\.png: meta\.inst_mask cannot be read as an image \(SyntaxError"):
        read_mask(tmp_path, "broken.png", "inst_mask")
    with pytest.raises(ValueError, match=r"cut\.png: meta\.inst_mask cannot be read as an image"):
        read_mask(tmp_path, "cut.png", "inst_mask")
    with pytest.raises(FileNotFoundError):
        read_mask(tmp_path, "none.png", "inst_mask")


@pytest.mark.parametrize("obj", [{"kind": "box", "coords": [0, 0, 10, 10]},
                                 {"kind": "poly", "coords": [[0, 0], [10, 0], [10, 10]]},
                                 {"kind": "mask", "coords": {"box": [0, 0, 10, 10], "size": [1, 1], "rows": [[1]]}}])
def test_mask_too_large_for_memory_names_its_size(obj):
    """A reference record's meta.width x meta.height of 10**7 x 10**7 was numpy's MemoryError (a traceback out of
    python -m eval.segmentation, naming none of the sizes given); now a ValueError naming the size."""
    from rsvlm.geometry import objects_to_mask
    from rsvlm.geometry.grid import grid_to_mask
    from rsvlm.geometry.shapes import fill_rings

    n = 10**7  # 10**14 bytes: past any machine's memory
    with pytest.raises(ValueError, match=r"a 10000000x10000000 mask \(93,132 GiB\) does not fit in memory"):
        objects_to_mask([obj], n, n)
    with pytest.raises(ValueError, match="10000000x10000000 mask"):
        fill_rings([obj["coords"]] if obj["kind"] == "poly" else [], n, n)
    if obj["kind"] == "mask":
        with pytest.raises(ValueError, match="10000000x10000000 mask"):
            grid_to_mask(obj["coords"], n, n)
