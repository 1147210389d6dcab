"""Reading tour 61 (helper F): a modality given in capitals, a 1-bit mask given as the image."""

from __future__ import annotations

import numpy as np
import pytest

from rsvlm.io import ImageReadError, read_image, sources

rasterio = pytest.importorskip("rasterio")
tifffile = pytest.importorskip("tifffile")
from PIL import Image  # noqa: E402


def _grey_png(path):
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (16, 24)).astype(np.uint8)).save(path)
    return path


@pytest.mark.parametrize("given", ["SAR", "Sar", " sar "])
def test_a_modality_in_capitals_reads_as_the_cli_and_records_take_it(tmp_path, given):
    """``read_image(p, modality="SAR")`` was 'unknown modality' though ``--modality SAR`` and a record's
    "SAR" are taken: a library caller had to know to lower it."""
    img = read_image(_grey_png(tmp_path / "g.png"), modality=given)
    assert img.modality == "sar" and not img.inferred_modality


def test_an_unknown_modality_is_refused_naming_the_file_and_the_modalities_before_reading(tmp_path):
    with pytest.raises(ValueError, match=r"missing\.png: unknown modality 'radar'; expected one of optical, msi, sar, ir"):
        read_image(tmp_path / "missing.png", modality="radar")  # said before 'not found': the call is wrong either way


def _one_bit(tmp_path, how):
    mask = np.eye(16, 24, dtype=bool)  # (H, W)
    if how == "png":
        Image.fromarray(mask).save(p := tmp_path / "label.png")  # PIL mode "1"
    elif how == "tiff (GDAL)":
        with rasterio.open(p := tmp_path / "label.tif", "w", driver="GTiff", width=24, height=16, count=1,
                           dtype="uint8", nbits=1) as ds:
            ds.write(mask[None].astype(np.uint8))
    else:
        tifffile.imwrite(p := tmp_path / "label.tif", mask)
    return p


@pytest.mark.parametrize("how", ["png", "tiff (GDAL)", "tiff (tifffile)"])
def test_a_one_bit_image_is_refused_as_a_mask_unless_the_modality_is_given(tmp_path, monkeypatch, how):
    """A 1-bit label given as the image read as a grey ir band (PNG) or an identical-band optical RGB (a
    bilevel TIFF's palette) without a word: a segmentation label goes in the record's answer."""
    if how == "tiff (tifffile)":
        monkeypatch.setattr(sources, "RasterioSource", lambda *a, **k: (_ for _ in ()).throw(ImportError("rasterio")))
    p = _one_bit(tmp_path, how)
    with pytest.raises(ImageReadError, match=rf"{p.name}: it holds 1 bit a pixel \(two values only\), as a mask or label "
                                         r"does.*record's answer.*--modality, or read_image"):
        read_image(p)
    img = read_image(p, modality="optical")
    assert img.modality == "optical" and any("1 bit a pixel" in n and "as asked" in n for n in img.notes), img.notes


def test_an_eight_bit_mask_of_zeros_and_ones_is_no_one_bit_image(tmp_path):
    """Only the stored bit depth refuses: an 8-bit grey image of two values may be imagery."""
    Image.fromarray(np.eye(16, 24, dtype=np.uint8) * 255).save(p := tmp_path / "grey.png")
    assert read_image(p).modality == "ir"


def _cgroup(folder, limit, usage, inactive, version="v2"):
    folder.mkdir(parents=True, exist_ok=True)
    names = {"v2": ("memory.max", "memory.current", "inactive_file"),
             "v1": ("memory.limit_in_bytes", "memory.usage_in_bytes", "total_inactive_file")}[version]
    (folder / names[0]).write_text(f"{limit}\n")
    (folder / names[1]).write_text(f"{usage}\n")
    (folder / "memory.stat").write_text(f"anon 1\n{names[2]} {inactive}\n")


@pytest.mark.parametrize("version", ["v2", "v1"])
def test_a_memory_limit_on_the_process_s_own_nested_cgroup_is_seen(tmp_path, version):
    """The budget read the memory cgroup at the root of /sys/fs/cgroup only: a limit set on a job's
    nested cgroup (systemd-run -p MemoryMax, a Slurm job, a container in a container) passed the check
    and the kernel killed the read unsaid. Each level from the process's own cgroup up is read."""
    from rsvlm.io import budget

    meminfo, proc = tmp_path / "meminfo", tmp_path / "proc_self_cgroup"
    meminfo.write_text("MemTotal:  99999 kB\nMemAvailable:   10000 kB\n")  # 10 240 000 bytes
    root = tmp_path / "sys_fs_cgroup"
    base = root if version == "v2" else root / "memory"
    proc.write_text("0::/jobs.slice/job7\n" if version == "v2" else "5:cpu,cpuacct:/\n4:memory:/jobs.slice/job7\n0::/\n")
    unlimited = "max" if version == "v2" else str(2**63 - 4096)
    _cgroup(base, unlimited, 5_000_000, 0, version)  # the container's root: no limit
    _cgroup(base / "jobs.slice", 8_000_000, 2_000_000, 0, version)  # 6 000 000 left
    _cgroup(base / "jobs.slice/job7", 3_000_000, 1_500_000, 500_000, version)  # 2 000 000 left: the least
    args = (str(meminfo), str(root), str(proc))
    assert budget.available_bytes(*args) == 2_000_000  # was 10 240 000: MemAvailable, the root unlimited
    (base / "jobs.slice/job7" / ("memory.max" if version == "v2" else "memory.limit_in_bytes")).write_text(f"{unlimited}\n")
    assert budget.available_bytes(*args) == 6_000_000  # the slice above it limits it still
    proc.write_text("garbage")  # unreadable: the roots alone, as before
    assert budget.available_bytes(*args) == 10_240_000


def test_a_safe_folder_names_the_band_files_in_its_subfolders(tmp_path):
    """A Sentinel-2 .SAFE given as the image said only 'is a folder, not an image file': its band files lie
    three or four folders down (GRANULE/<tile>/IMG_DATA/R10m), and the hint looked at the folder itself."""
    safe = tmp_path / "S2B_MSIL2A_20240101.SAFE"
    img = safe / "GRANULE/L2A_T32TQM/IMG_DATA/R10m"
    img.mkdir(parents=True)
    (safe / "manifest.safe").write_text("<xml/>")
    (safe / "GRANULE/L2A_T32TQM/IMG_DATA/R20m").mkdir()
    (safe / "GRANULE/L2A_T32TQM/IMG_DATA/R20m/T32TQM_B05_20m.jp2").write_bytes(b"x")
    for b in ("B02", "B03", "B04", "B08"):
        (img / f"T32TQM_{b}_10m.jp2").write_bytes(b"x")
    with pytest.raises(FileNotFoundError, match=r"S2B_MSIL2A_20240101\.SAFE is a folder, not an image file; give one of "
                                                r"its images \(in GRANULE/L2A_T32TQM/IMG_DATA/R10m: 4 rasters\), e\.g\. "
                                                r".*R10m/T32TQM_B02_10m\.jp2, or.*comma-separated: .*B02_10m\.jp2,.*B08_10m\.jp2$"):
        read_image(safe)


def test_band_files_joined_by_commas_in_one_string_say_to_give_a_list(tmp_path):
    """``read_image("B02.tif,B03.tif")`` (as --image takes them) said 'image not found' of files that exist."""
    for b in ("B02", "B03"):
        _grey_png(tmp_path / f"{b}.png")
    with pytest.raises(FileNotFoundError, match=r"B03\.png; it names 2 files comma-separated: give band files as a list"):
        read_image(f"{tmp_path / 'B02.png'},{tmp_path / 'B03.png'}")


def test_a_bare_float_band_s_modality_says_it_is_a_guess_from_its_type(tmp_path):
    """One float band of °C or metres without a unit read as sar 'from 1 band float32', said as firmly as a
    complex SLC's; the guess from its kelvin values said how weak it was, this one did not."""
    p = tmp_path / "t.tif"
    with rasterio.open(p, "w", driver="GTiff", width=32, height=32, count=1, dtype="float32") as ds:
        ds.write((5 + 20 * np.random.default_rng(5).random((1, 32, 32))).astype(np.float32))
    note = read_image(p).notes[0]
    assert note.startswith("modality inferred as sar from 1 band float32 (a guess from its type alone"), note
    assert "--modality ir" in note
    from rsvlm.data.modality import inferred_why

    assert inferred_why([note]) == "1 band float32"  # the training report's 'from what' stays short


@pytest.fixture
def no_rasterio(monkeypatch):
    """Reading as where rasterio is not installed (or GDAL cannot open the TIFF): tifffile reads it."""
    monkeypatch.setattr(sources, "RasterioSource", lambda *a, **k: (_ for _ in ()).throw(ImportError("rasterio")))


@pytest.mark.parametrize("nodata", [0.0, float("nan")])
def test_a_tiff_s_declared_nodata_is_read_by_the_tifffile_fallback_too(tmp_path, no_rasterio, nodata):
    """tifffile left a GeoTIFF's GDAL_NODATA tag unread: its collar of declared nodata 0 read as valid black
    pixels of reflectance 0 (GDAL masks them)."""
    dtype = np.uint16 if nodata == 0 else np.float32
    data = (np.random.default_rng(1).random((4, 16, 20)) * 3000 + 1).astype(dtype)  # (C, H, W)
    data[:, :, :5] = nodata
    with rasterio.open(p := tmp_path / "collar.tif", "w", driver="GTiff", width=20, height=16, count=4, dtype=dtype,
                       nodata=nodata) as ds:
        ds.write(data)
    img = read_image(p)
    assert "read by tifffile" in img.notes[0]
    assert img.valid is not None and not img.valid[:, :5].any() and img.valid[:, 5:].all()
    assert img.bands == ["b1", "b2", "b3", "b4"]  # as GDAL names them: was R, G, B, band4 (4 bands taken as RGBA)


def test_the_tifffile_fallback_takes_colours_and_alpha_from_the_tiff(tmp_path, no_rasterio):
    """tifffile's RGBA TIFF read its alpha as a fourth (msi) band; a 4-band grey TIFF's bands were named R, G, B."""
    rgba = np.random.default_rng(2).integers(1, 255, (16, 20, 4)).astype(np.uint8)  # (H, W, 4)
    rgba[:4, :, 3] = 0  # transparent rows
    tifffile.imwrite(p := tmp_path / "rgba.tif", rgba, photometric="rgb", extrasamples=[2])
    img = read_image(p)
    assert img.modality == "optical" and img.bands == ["R", "G", "B"] and img.data.shape == (3, 16, 20)
    assert img.valid is not None and not img.valid[:4].any() and img.valid[4:].all()
    tifffile.imwrite(p := tmp_path / "bad.tif", rgba[..., :3], photometric="rgb", extratags=[(42113, "s", 0, "none", True)])
    assert any("GDAL_NODATA tag 'none' is no number" in n for n in read_image(p).notes)


@pytest.mark.parametrize("suffix", [".tif", ".png"])
def test_a_paletted_class_map_given_as_the_image_is_said_to_be_one(tmp_path, suffix):
    """A land-cover map (ESA WorldCover: 11 colours from a palette) read as an optical photo without a word."""
    classes = np.random.default_rng(3).integers(0, 5, (24, 32)).astype(np.uint8)  # (H, W) class indices
    colours = [(0, 100, 0), (255, 187, 34), (250, 0, 0), (0, 100, 200), (180, 180, 180)]
    p = tmp_path / f"worldcover{suffix}"
    if suffix == ".png":
        im = Image.fromarray(classes, mode="L").convert("P")
        im.putpalette([c for rgb in colours for c in rgb] + [0] * (256 - len(colours)) * 3)
        im.save(p)
    else:
        with rasterio.open(p, "w", driver="GTiff", width=32, height=24, count=1, dtype="uint8") as ds:
            ds.write(classes[None])
            ds.write_colormap(1, {i: (*rgb, 255) for i, rgb in enumerate(colours)})
    img = read_image(p)
    assert img.modality == "optical"
    assert any("a palette) and uses 5 colours: if it is a class map" in n for n in img.notes), img.notes
    photo = Image.fromarray(np.random.default_rng(4).integers(0, 255, (24, 32, 3)).astype(np.uint8)).convert(
        "P", palette=Image.Palette.ADAPTIVE)  # a photo quantised to 256 colours: no class map
    photo.save(q := tmp_path / "photo.png")
    assert not any("class map" in n for n in read_image(q).notes)
    assert not any("class map" in n for n in read_image(p, "optical").notes)  # given: the caller knows what it is


def test_an_eight_bit_image_of_two_values_is_said_to_look_like_a_mask(tmp_path):
    """LEVIR-CD's 0/255 change label and an RGB ship mask ((0, 0, 0) and (0, 255, 0)) read as an ir band
    and an optical photo without a word; where the modality is given, nothing is said."""
    label = np.zeros((32, 40), np.uint8)
    label[8:20, 10:30] = 255
    Image.fromarray(label).save(p := tmp_path / "label.png")
    assert any("it holds two values only (0 and 255), as a mask or label does" in n for n in read_image(p).notes)
    rgb = np.zeros((32, 40, 3), np.uint8)
    rgb[8:20, 10:30, 1] = 255
    Image.fromarray(rgb).save(q := tmp_path / "ship_mask.png")
    assert any("((0, 0, 0) and (0, 255, 0))" in n for n in read_image(q).notes)
    assert not any("two values" in n for n in read_image(p, "ir").notes)
    grey = np.random.default_rng(6).integers(0, 255, (32, 40)).astype(np.uint8)
    Image.fromarray(grey).save(r := tmp_path / "grey.png")
    assert not any("two values" in n for n in read_image(r).notes)


def test_the_real_masks_are_said_to_look_like_masks_and_the_real_images_not(realdata):
    masks = ["cd_levir/test_7_0256_0512_label.png", "ir_sirst/Misc_100_pixels0.png",
             "sar_hrsid/P0008_0_800_9000_9800_mask.png", "seg_detectree/1091-322_00_response.tif"]
    images = ["cd_levir/test_7_0256_0512_A.png", "ir_sirst/Misc_100.png", "sar_hrsid/P0008_0_800_9000_9800.jpg",
              "seg_detectree/1091-322_00_img.tif", "msi_landsat7/RGB.byte.tif", "bldg_spacenet4/sample_geotiff.tif"]
    for name in masks + images:
        said = any("two values only" in n for n in read_image(realdata / name).notes)
        assert said == (name in masks), name


def test_a_landsat_folder_s_hint_names_its_bands_in_their_order(tmp_path):
    """A Landsat product folder's hint was 'e.g. …_B1.TIF, or …_B1.TIF,…_B10.TIF,…_B11.TIF,…_B2.TIF': its
    thermal bands offered among the first four band files to read as one multispectral image."""
    stem = "LC08_L1TP_016037_20170813_20170814_01_RT"
    for n in (1, 2, 3, 4, 10, 11):
        (tmp_path / f"{stem}_B{n}.TIF").write_bytes(b"x")
    with pytest.raises(FileNotFoundError, match=rf"comma-separated: .*{stem}_B1\.TIF,.*_B2\.TIF,.*_B3\.TIF,.*_B4\.TIF,…$"):
        read_image(tmp_path)


def test_a_vrt_whose_source_file_is_missing_says_so(tmp_path):
    """A mosaic VRT whose tile was moved said 'read failed, file truncated or corrupt' of the VRT."""
    (p := tmp_path / "mosaic.vrt").write_text(
        '<VRTDataset rasterXSize="10" rasterYSize="10"><VRTRasterBand dataType="Byte" band="1"><SimpleSource>'
        '<SourceFilename relativeToVRT="1">tile_3.tif</SourceFilename><SourceBand>1</SourceBand></SimpleSource>'
        '</VRTRasterBand></VRTDataset>')
    with pytest.raises(ImageReadError, match=r"mosaic\.vrt: read failed: a file it refers to is missing \(.*tile_3\.tif"):
        read_image(p)


def test_a_record_s_mask_image_is_skipped_with_the_record_s_field_as_advice(tmp_path):
    """Training's modality finder said a 1-bit image (or a DEM) could be read with '--modality, or
    read_image(..., modality=...)', neither of which a training run takes: the record's field is said."""
    from rsvlm.data.modality import ModalityFinder
    from rsvlm.data.records import ReadReport, RecordError

    _one_bit(tmp_path, "png")
    with ModalityFinder() as finder, pytest.raises(RecordError) as e:
        finder.fill({"id": "r1", "images": [{"path": "label.png", "modality": None}]}, tmp_path, ReadReport("t.jsonl"))
    assert "1 bit a pixel" in str(e.value) and 'give the modality (a "modality" in the record\'s image)' in str(e.value)
    assert "--modality" not in str(e.value) and "read_image" not in str(e.value)


def _described(path, data, descriptions):
    c, h, w = data.shape
    with rasterio.open(path, "w", driver="GTiff", width=w, height=h, count=c, dtype=data.dtype) as ds:
        ds.write(data)
        ds.descriptions = tuple(descriptions)
    return path


def test_bands_described_as_polarisations_read_as_sar(tmp_path):
    """A quad-pol scene (bands described HH, HV, VH, VV) read as 4 msi bands, a uint16 band described
    Sigma0_VV (or in a file named …_VV_….tif) as a thermal one; and Sigma0_VV, Sigma0_VH were the bands'
    names, which the sar stem's VV and VH do not match."""
    rng = np.random.default_rng(7)
    quad = _described(tmp_path / "quad.tif", rng.gamma(1, 0.05, (4, 32, 32)).astype(np.float32), ["HH", "HV", "VH", "VV"])
    img = read_image(quad)
    assert (img.modality, img.bands) == ("sar", ["HH", "HV", "VH", "VV"]), img.notes
    assert img.notes[0] == "modality inferred as sar from 4 bands float32 named HH, HV, VH, VV (polarisations)"
    dn = (rng.random((1, 32, 32)) * 3000 + 1).astype(np.uint16)
    one = read_image(_described(tmp_path / "grd.tif", dn, ["Sigma0_VV"]))
    assert (one.modality, one.bands) == ("sar", ["VV"]), one.notes
    assert "band named VV from the description Sigma0_VV" in one.notes
    with rasterio.open(p := tmp_path / "S1A_IW_GRDH_20230101_VH_tc.tif", "w", driver="GTiff", width=32, height=32,
                       count=1, dtype="uint16") as ds:
        ds.write(dn)
    assert (read_image(p).modality, read_image(p).bands) == ("sar", ["VH"])
    pair = read_image(_described(tmp_path / "pair.tif", rng.gamma(1, 0.05, (2, 32, 32)).astype(np.float32),
                                 ["Sigma0_VV", "Sigma0_VH"]))
    assert pair.bands == ["VV", "VH"]


def test_a_sar_colour_composite_says_it_is_read_as_optical(tmp_path):
    """VV, VH and their ratio as 3 bands read as optical without a word (sar refuses 3 different bands)."""
    p = _described(tmp_path / "rgb.tif", np.random.default_rng(8).gamma(1, 0.05, (3, 32, 32)).astype(np.float32),
                   ["VV", "VH", "VV/VH"])
    img = read_image(p)
    assert img.modality == "optical"
    assert any(n.startswith("its bands are described VV, VH, VV/VH: a SAR colour composite") for n in img.notes)


def test_a_read_refused_by_a_cgroup_limit_names_the_limit(tmp_path, monkeypatch):
    """'1.2 GiB is available' on a machine with 500 GiB free sent the user looking for the memory: the
    limit of the job's cgroup that set it is named."""
    from rsvlm.io import budget

    meminfo, proc, root = tmp_path / "meminfo", tmp_path / "cgroup", tmp_path / "sys"
    meminfo.write_text("MemAvailable:   524288000 kB\n")  # 500 GiB
    proc.write_text("0::/job7\n")
    _cgroup(root / "job7", 2**31, 2**30, 0)  # 2 GiB limit, 1 GiB used
    real = budget.memory_left
    monkeypatch.setattr(budget, "memory_left", lambda: real(str(meminfo), str(root), str(proc)))
    monkeypatch.setattr(budget, "available_bytes", lambda: real(str(meminfo), str(root), str(proc))[0])
    with pytest.raises(MemoryError, match=r"1 GiB is available \(left by the memory cgroup limit of 2 GiB in "
                                          r".*job7/memory\.max\)$"):
        budget.check_fits(40000, 40000, 1, "uint8")
    meminfo.write_text("MemAvailable:   524288 kB\n")  # 0.5 GiB: the machine's, not the job's
    with pytest.raises(MemoryError, match=r"0\.5 GiB is available$"):
        budget.check_fits(40000, 40000, 1, "uint8")
