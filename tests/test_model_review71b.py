"""Review of the model area's round 2 (stop 71): the processor's units check (963926c2) refuses only a band mean no
reader gives (a Sentinel-2 cirrus band and a saturated msi file, both the reader's, were refused), and a grey PIL
image stored as RGB reads as one sar or ir band, as the reader reads its file."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from tests.conftest import REPO

S2_13 = ["B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B10", "B11", "B12"]


@pytest.fixture(scope="module")
def tiny(tiny_vlm):
    return tiny_vlm


@pytest.fixture(scope="module")
def s2_stem():
    """configs/model/qwen2.5-1.5b-multisensor.yaml's 13-band msi stem (B10, cirrus: 0.002 ± 0.005)."""
    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig

    return load_config(VLMConfig, REPO / "configs/model/qwen2.5-1.5b-multisensor.yaml").stems["msi"]


def test_a_cirrus_band_in_reflectance_is_taken(s2_stem):
    """A Sentinel-2 scene under cirrus (B10 reflectance 0.16, 31 stds from the stem's 0.002) was refused as 'values
    in other units (8-bit counts as floats? divide by 255)': it is reflectance, as the reader gives it."""
    from rsvlm.model.stem import prepare

    arr = np.random.default_rng(0).uniform(0.05, 0.3, (13, 16, 16)).astype(np.float32)
    arr[S2_13.index("B10")] = 0.16
    out = prepare(s2_stem, arr, 16, S2_13, units=True)
    assert torch.isfinite(out).all()
    with pytest.raises(ValueError, match=r"image: band B01 averages 18\d\d, .* \(DN as floats\? reflectance is "
                                         r"DN / 10000\)"):
        prepare(s2_stem, arr * 10000, 16, S2_13, units=True)  # DN as floats: still refused, told what they are


def test_a_saturated_msi_file_the_reader_reads_is_taken(tiny, tmp_path):
    """A uint16 msi file of DN 65535 reads as reflectance 6.55, 80 stds from the tiny stem's B02: it was refused,
    though it is what the reader gives (rsvlm predict refused the file)."""
    import rasterio

    _, proc = tiny
    path = tmp_path / "bright.tif"
    with warnings.catch_warnings():  # (no georeferencing)
        warnings.simplefilter("ignore")
        with rasterio.open(path, "w", driver="GTiff", width=8, height=8, count=4, dtype="uint16") as f:
            f.write(np.full((4, 8, 8), 65535, np.uint16))
    from rsvlm.model import ImageInput

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the reader's notes
        assert proc.prepare_image(ImageInput(str(path), "msi", ["B02", "B03", "B04", "B08"])).modality == "msi"


@pytest.mark.parametrize("modality, value", [("optical", 0.0), ("optical", 1.0), ("sar", 1.0), ("ir", 0.0)])
def test_a_flat_band_at_either_end_of_the_readers_range_is_taken(tiny, modality, value):
    from rsvlm.model import ImageInput

    _, proc = tiny
    channels = {"optical": 3, "sar": 2, "ir": 1}[modality]
    proc.prepare_image(ImageInput(np.full((channels, 8, 8), value, np.float32), modality))


def test_a_stem_trained_in_other_units_takes_them(tiny):
    """The check is against the stem's own statistics too: a stem trained on dB takes dB."""
    from rsvlm.model.stem import StemConfig, prepare

    cfg = StemConfig(modality="sar", bands=["VV", "VH"], mean=[-15.0, -22.0], std=[5.0, 5.0])
    db = np.random.default_rng(0).normal(-15, 4, (2, 8, 8)).astype(np.float32)
    assert torch.isfinite(prepare(cfg, db, 8, units=True)).all()


@pytest.mark.parametrize("modality", ["sar", "ir"])
def test_a_grey_pil_image_stored_as_rgb_reads_as_the_readers_one_band(tmp_path, modality):
    """ImageInput(Image.open(grey.jpg), "sar") gave 3 bands, refused as 'expects 2 band(s), got 3'; its file read
    with --modality sar is one band (3 identical bands: grey stored as RGB)."""
    from PIL import Image

    from rsvlm.io import read_image
    from rsvlm.model import ImageInput
    from rsvlm.model.image_args import as_image_input

    grey = np.random.default_rng(1).integers(0, 256, (12, 10), dtype=np.uint8)
    path = tmp_path / "grey_rgb.png"
    Image.fromarray(np.repeat(grey[..., None], 3, axis=2)).save(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = read_image(str(path), modality=modality).data
    got = as_image_input(ImageInput(Image.open(path), modality)).array
    assert got.shape == want.shape == (1, 12, 10) and np.array_equal(got, want)
    colour = np.random.default_rng(2).integers(0, 256, (12, 10, 3), dtype=np.uint8)  # colours: no sar, said so
    with pytest.raises(ValueError, match=rf"images\[0\]: 3 bands cannot be read as {modality}"):
        as_image_input(ImageInput(Image.fromarray(colour), modality), "images[0]")
