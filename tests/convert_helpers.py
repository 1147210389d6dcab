"""Shared by the converter tests: run a converter into a folder and read its records back, decode a
record's answer, compare coordinates within one bin, and write small images."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from data_gen.convert import convert as run_convert
from rsvlm import geometry
from rsvlm.data.records import load_records


def convert(out: Path, *argv: str) -> tuple[dict, list[dict]]:
    stats = run_convert([argv[0], "--out", str(out), *argv[1:]])
    records, _ = load_records(out / "records.jsonl", strict=True)
    assert stats["records"] == len(records)
    return stats, records


def llava_rows(tmp_path: Path, rows: list[dict], *argv: str) -> tuple[dict, list[dict]]:
    """``convert llava`` of ``rows`` (l.json, one JSON list) over one 64x48 image, imgs/a.png; ``argv`` after."""
    png(tmp_path / "imgs" / "a.png", 64, 48)
    (tmp_path / "l.json").write_text(json.dumps(rows))
    return convert(tmp_path / "o", "llava", "--src", str(tmp_path / "l.json"), "--images", str(tmp_path / "imgs"), *argv)


def objs(rec: dict) -> list[dict]:
    d = geometry.decode(rec["conversations"][-1]["value"], rec["meta"]["width"], rec["meta"]["height"])
    assert d.problems == []
    return d.objects


def near(a, b, size) -> bool:
    return np.allclose(np.asarray(a, float), np.asarray(b, float), atol=size / 1000)


def same_ring(a, b, size) -> bool:
    """Every vertex of each ring within one bin of a vertex of the other (order-free)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    d = np.abs(a[:, None, :] - b[None, :, :]).max(axis=2)
    return bool(d.min(axis=1).max() <= size / 1000 and d.min(axis=0).max() <= size / 1000)


def png(path: Path, w: int, h: int, mode="RGB") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, (w, h), 40).save(path)
    return path


def png16(path: Path, a: np.ndarray, colour_type: int | None = None) -> Path:
    """``a`` (H, W, C) written to ``path`` as a 16-bit PNG, which PIL writes for no colour image: ``colour_type`` 0
    grey, 4 grey + alpha, 2 RGB or 6 RGBA (by default the one of C channels, 1, 2, 3 or 4)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    h, w, c = a.shape
    colour_type = {1: 0, 2: 4, 3: 2, 4: 6}[c] if colour_type is None else colour_type
    rows = b"".join(b"\x00" + a[y].astype(">u2").tobytes() for y in range(h))  # filter 0 (none) per row
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, colour_type, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
    return path


def rsvqa_split(tmp_path: Path, question: str, answer: str, kind: str) -> Path:
    """An RSVQA ``--src`` folder of one test-split question on image 0 (``tmp_path/lr/0.tif``, 32×32)."""
    import json

    src = tmp_path / "rsvqa"
    src.mkdir()
    png(tmp_path / "lr" / "0.tif", 32, 32)
    qs = [{"id": 0, "img_id": 0, "type": kind, "question": question, "answers_ids": [0]}]
    (src / "LR_split_test_questions.json").write_text(json.dumps({"questions": qs}))
    (src / "LR_split_test_answers.json").write_text(json.dumps({"answers": [{"id": 0, "answer": answer}]}))
    return src


def footprints_scene(tmp_path: Path, properties: list[dict]) -> tuple[Path, Path]:
    """``tmp_path/a.tif`` (100×80, UTM 31N, 2 m pixels) and ``a.geojson`` of one footprint (pixels 10…40, 10…30) per
    ``properties``, in the file's own ``crs``: (image, labels)."""
    import json

    import rasterio
    from rasterio.transform import from_origin

    with rasterio.open(tmp_path / "a.tif", "w", driver="GTiff", width=100, height=80, count=1, dtype="uint8",
                       crs="EPSG:32631", transform=from_origin(500000.0, 5800000.0, 2, 2)) as ds:
        ds.write(np.full((1, 80, 100), 7, np.uint8))
    ring = [[500000.0 + 2 * x, 5800000.0 - 2 * y] for x, y in ([10, 10], [40, 10], [40, 30], [10, 30], [10, 10])]
    geom = {"type": "Polygon", "coordinates": [ring]}
    feats = [{"type": "Feature", "properties": p, "geometry": geom} for p in properties]
    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32631"}}
    (tmp_path / "a.geojson").write_text(json.dumps({"type": "FeatureCollection", "crs": crs, "features": feats}))
    return tmp_path / "a.tif", tmp_path / "a.geojson"


def dota_lines(tmp_path: Path, lines: list[str]) -> dict:
    """``convert dota``'s stats over one 100x80 image whose label file holds ``lines``."""
    png(tmp_path / "d" / "images" / "a.png", 100, 80)
    (tmp_path / "d" / "labelTxt").mkdir()
    (tmp_path / "d" / "labelTxt" / "a.txt").write_text("\n".join(lines) + "\n")
    stats, _ = convert(tmp_path / "o", "dota", "--src", str(tmp_path / "d"))
    return stats


def tif_label(path: Path, data: np.ndarray, nodata: float) -> None:
    """``data`` (H, W) written to ``path`` as a one-band GeoTIFF label whose nodata is ``nodata``."""
    import rasterio

    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(path, "w", driver="GTiff", width=data.shape[1], height=data.shape[0], count=1,
                       dtype=data.dtype.name, nodata=nodata) as ds:
        ds.write(data[None])  # (1, H, W)


def rgba_label_with_mask(tmp_path: Path, rgba: np.ndarray, valid: np.ndarray) -> None:
    """images/a.png (64x48) and labels/a_mask.tif: ``rgba`` (4, 48, 64) as an RGB GeoTIFF with an alpha band, and
    ``valid`` (48, 64; 0 = masked) as its GDAL mask band."""
    import rasterio

    png(tmp_path / "images" / "a.png", 64, 48)
    (tmp_path / "labels").mkdir()
    with rasterio.open(tmp_path / "labels" / "a_mask.tif", "w", driver="GTiff", width=64, height=48, count=4,
                       dtype="uint8", photometric="RGB", alpha="YES") as ds:
        ds.write(rgba)
        ds.write_mask(valid)


def palette_label(tmp_path: Path, label: np.ndarray, mode: str, palette: dict) -> list[str]:
    """images/a.png (64x48) and its label ``label`` (H, W, C) saved as labels/a_mask.png in ``mode``, and the
    palette p.json; ``convert masks``' arguments for them."""
    png(tmp_path / "images" / "a.png", 64, 48)
    (tmp_path / "labels").mkdir()
    Image.fromarray(np.ascontiguousarray(label), mode).save(tmp_path / "labels" / "a_mask.png")
    (tmp_path / "p.json").write_text(json.dumps(palette) + "\n")  # one object on one line: the palette's JSON
    return ["--images", str(tmp_path / "images"), "--labels", str(tmp_path / "labels"),
            "--palette", str(tmp_path / "p.json")]
