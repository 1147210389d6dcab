"""Review 61 of reading: a polarisation word in a file name alone says how weak a guess it is; the
memory cgroups are walked past an odd /proc/self/cgroup line, and read once per process."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from rsvlm.io import budget, read_image


def test_a_polarisation_word_in_a_file_name_alone_names_the_other_readings(tmp_path):
    """A grey photo named pylon_hv_01.png (a high-voltage pylon) read as sar 'from 1 band uint8 named HV
    (polarisations)', said as firmly as bands described Sigma0_VV, where before it was ir with the other
    readings named: a file name's word is said to be one, with --modality ir and optical."""
    grey = np.random.default_rng(0).integers(0, 255, (32, 32)).astype(np.uint8)
    Image.fromarray(grey).save(p := tmp_path / "pylon_hv_01.png")
    img = read_image(p)
    assert img.modality == "sar" and img.bands == ["HV"]
    assert img.notes[0] == ("modality inferred as sar from 1 band uint8 named HV (polarisations, by a word of the "
                            "file name only; a thermal band: --modality ir; a grey or panchromatic photo: "
                            "--modality optical)")
    assert read_image(p, modality="optical").modality == "optical"
    Image.fromarray(grey).save(q := tmp_path / "pylon_01.png")
    assert read_image(q).modality == "ir"  # no such word: as before


def _cgroup_v1(folder: Path, limit: int, usage: int):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "memory.limit_in_bytes").write_text(f"{limit}\n")
    (folder / "memory.usage_in_bytes").write_text(f"{usage}\n")


@pytest.mark.parametrize("odd", ["", "garbage", "1:name=systemd", "0::/"])
def test_an_odd_self_cgroup_line_does_not_hide_the_memory_line_after_it(tmp_path, odd):
    """One line of /proc/self/cgroup that is not 'id:controllers:path' stopped the reading of all after it
    (a ValueError caught for the whole file): the job's limit on the memory line below it went unseen."""
    meminfo, proc, root = tmp_path / "meminfo", tmp_path / "cgroup", tmp_path / "sys"
    meminfo.write_text("MemAvailable:   10000 kB\n")  # 10 240 000 bytes
    proc.write_text(f"{odd}\n4:memory:/job7\n1:name=systemd:/x\n")
    _cgroup_v1(root / "memory", 2**63 - 4096, 5_000_000)  # the root: no limit
    _cgroup_v1(root / "memory/job7", 3_000_000, 1_000_000)  # 2 000 000 left
    assert budget.available_bytes(str(meminfo), str(root), str(proc)) == 2_000_000
    assert [f for f in budget.cgroup_folders(str(root), str(proc)) if f[1] == "v1"] == [
        (root / "memory/job7", "v1"), (root / "memory", "v1")]  # its own first, then the root


def test_the_process_s_own_cgroups_are_read_once_not_every_window(monkeypatch):
    """Each window's read walked /proc/self/cgroup again (about 160 of the check's 450 µs); its memory
    cgroups are taken once per process now, the memory left in them at each read still."""
    if hasattr(budget, "_own_cgroup_folders"):
        budget._own_cgroup_folders.cache_clear()  # another test's read of them: read again here, once
    reads = []
    real = Path.read_text
    monkeypatch.setattr(Path, "read_text", lambda self, *a, **k: (reads.append(str(self)), real(self, *a, **k))[1])
    first = budget.cgroup_folders("/sys/fs/cgroup", "/proc/self/cgroup")
    for _ in range(3):
        budget.available_bytes()
    assert reads.count("/proc/self/cgroup") <= 1, reads
    assert budget.cgroup_folders("/sys/fs/cgroup", "/proc/self/cgroup") == first


@pytest.mark.parametrize("level", ["L1C", "L2A"])
def test_a_safe_folder_s_hint_passes_over_its_web_page_and_quality_masks(tmp_path, level):
    """A real .SAFE holds HTML/banner_1.png … star_bg.jpg beside GRANULE: the hint, looking a level down at a
    time, offered the web page's banners as 'one of its images' and 'one file per band'; an L2A's first level
    of .jp2 files was its QI_DATA cloud masks (IMG_DATA holds R10m, R20m, R60m there)."""
    safe = tmp_path / f"S2A_MSI{level}_20240101.SAFE"
    img = "IMG_DATA" if level == "L1C" else "IMG_DATA/R10m"
    for f in ("HTML/banner_1.png", "HTML/banner_2.png", "HTML/banner_3.png", "HTML/star_bg.jpg", "manifest.safe",
              "GRANULE/T32/QI_DATA/MSK_CLDPRB_20m.jp2", "GRANULE/T32/QI_DATA/T32_PVI.jp2",
              "DATASTRIP/DS1/QI_DATA/x.xml", *(f"GRANULE/T32/{img}/T32_{b}.jp2" for b in ("B02", "B03", "B04", "B08"))):
        (safe / f).parent.mkdir(parents=True, exist_ok=True)
        (safe / f).write_bytes(b"x")
    with pytest.raises(FileNotFoundError, match=rf"give one of its images \(in GRANULE/T32/{img}: 4 rasters\), "
                                                rf"e\.g\. .*{img}/T32_B02\.jp2, or.*B02\.jp2,.*B03\.jp2,.*B04\.jp2,.*B08\.jp2$"):
        read_image(safe)


def test_a_paletted_scene_s_sample_is_read_once_and_its_colours_counted_exactly(tmp_path, monkeypatch):
    """The class-map check read the scene's decimated sample a second time (the grey check had it: on a
    36000² WorldCover tile without overviews each is a read of the file) and counted its colours with
    np.unique over axis 1 (0.4 s on 256 x 256 pixels); the count is unchanged."""
    rasterio = pytest.importorskip("rasterio")
    from rsvlm.io import modality as md
    from rsvlm.io import sources

    classes = np.random.default_rng(3).integers(0, 7, (40, 48)).astype(np.uint8)
    colours = {i: (30 * i, 255 - 30 * i, (70 * i) % 256, 255) for i in range(7)}
    with rasterio.open(p := tmp_path / "landcover.tif", "w", driver="GTiff", width=48, height=40, count=1,
                       dtype="uint8") as ds:
        ds.write(classes[None])
        ds.write_colormap(1, colours)
    src = sources.open_source([p])
    try:
        g = md.guess_modality(src, [p], None, None)
        calls = []
        real = src.read_decimated
        monkeypatch.setattr(src, "read_decimated", lambda *a, **k: (calls.append(a), real(*a, **k))[1])
        _, notes = md.plan(src, g, str(p), None)
    finally:
        src.close()
    assert any("uses 7 colours: if it is a class map" in n for n in notes), notes
    assert len(calls) == 1, calls
    px = np.random.default_rng(1).integers(0, 4, (3, 5000)).astype(np.uint16) * np.array([[1], [300], [65535 // 3]],
                                                                                          dtype=np.uint16)
    assert md.count_colours(px) == len(np.unique(px, axis=1).T) == 64
    assert md.count_colours(px.astype(np.int16)) == 64  # signed: the same bits


def test_bandnames_exports_what_modality_imports_from_it():
    """``polarisations_in`` (VV/VH → {VV, VH}), which modality imports, was left out of ``__all__``."""
    from rsvlm.io import bandnames

    assert {"polarisation_in", "polarisations_in"} <= set(bandnames.__all__)
    assert bandnames.polarisations_in("Sigma0 VV/VH ratio") == {"VV", "VH"}
