"""Tour 66 (converters): binary labels with a void value, instance ids, resampled masks; crowds and [ground];
word sub-folders of a class folder."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
from convert_helpers import convert, objs, png
from PIL import Image


def _masks_run(tmp_path, label: np.ndarray, name: str = "a.png", **save):
    h, w = label.shape
    png(tmp_path / "img" / "a.png", w, h)
    (tmp_path / "lab").mkdir()
    Image.fromarray(label).save(tmp_path / "lab" / name, **save)
    return convert(tmp_path / "o", "masks", "--images", str(tmp_path / "img"), "--labels", str(tmp_path / "lab"),
                   "--binary", "building")


def test_masks_binary_keeps_255_of_a_0_1_mask_as_void(tmp_path):
    """A 0/1 mask with 255 for void (no-data, as segmentation benchmarks write it) was thresholded at 127.5: the
    void band became the building and the building (1) was lost. 255 is void now, its pixels counted."""
    lab = np.zeros((64, 64), np.uint8)
    lab[8:24, 8:24] = 1
    lab[40:50, :] = 255
    stats, recs = _masks_run(tmp_path, lab)
    (rec,) = recs
    (poly,) = objs(rec)
    xs, ys = zip(*poly["coords"])
    assert 7 <= min(xs) and max(xs) <= 25 and 7 <= min(ys) and max(ys) <= 25  # the square, not the band
    assert stats["notes"]["label_pixels_ignored_255"] == 640 and "labels_not_binary" not in stats["notes"]


def test_binary_mask_keeps_255_when_it_is_the_class(tmp_path):
    """0/255 (with ringing of low values, or a blurred edge of 100) is still the class at 255: void only beside
    0/1 of flat 1s."""
    from data_gen.convert.binmask import binary_mask
    from data_gen.convert.common import Output

    noisy = np.zeros((32, 32), np.uint8)
    noisy[4:20, 4:20], noisy[3, 4:20], noisy[20, 4:20] = 255, 7, 3
    blurred = np.zeros((32, 32), np.uint8)
    blurred[4:20, 4:20], blurred[20:24, 4:20] = 255, 100
    ones = np.zeros((32, 32), np.uint8)
    ones[2:10, 2:10], ones[25:, :] = 1, 255
    out = Output(tmp_path / "o", "test")
    assert binary_mask(noisy, out).sum() == 16 * 16 and binary_mask(blurred, out).sum() == 16 * 16
    assert "label_pixels_ignored_255" not in out.notes
    assert binary_mask(ones, out).sum() == 8 * 8 and out.notes["label_pixels_ignored_255"] == 7 * 32


def test_masks_binary_reads_a_label_of_200_instance_ids(tmp_path):
    """Instance ids 1…200 (a building footprint raster, one id per building) were refused as "a photo?" (42% of the
    pixels between 25 and 175); below 128 ids they were taken whole. Piecewise constant, they are the class."""
    lab = np.zeros((300, 300), np.uint8)
    ids = iter(range(1, 201))
    for i in range(15):
        for j in range(15):
            if (k := next(ids, None)) is not None:
                lab[i * 20 + 2:i * 20 + 18, j * 20 + 2:j * 20 + 18] = k
    stats, recs = _masks_run(tmp_path, lab)
    assert stats["skipped"] == {} and len(objs(recs[0])) == 200
    assert stats["notes"]["labels_not_binary_every_nonzero_taken"] == 1


def _upsampled(lines_every: int, mode=Image.BILINEAR) -> np.ndarray:
    """1 px vertical lines every ``lines_every`` px of a 32 px 0/255 mask, enlarged 8x (a mask resized as a photo)."""
    small = np.zeros((32, 32), np.uint8)
    small[:, ::lines_every] = 255
    return np.asarray(Image.fromarray(small).resize((256, 256), mode))


@pytest.mark.parametrize("every", [3, 4])
@pytest.mark.parametrize("mode", [Image.BILINEAR, Image.BICUBIC, Image.LANCZOS])
def test_binary_mask_keeps_a_thin_mask_enlarged_8x_and_says_so(every, mode, tmp_path):
    """A thin-line mask enlarged 8x has 29-49% mid-grey pixels: over the 15% share it was refused as a photo. Its
    mid-grey pixels lie on smooth ramps, a photo's do not: it is thresholded, noted ``labels_resampled``."""
    from data_gen.convert.binmask import NOT_A_MASK, binary_mask
    from data_gen.convert.common import Output

    lab = _upsampled(every, mode)
    assert ((lab > 32) & (lab < 223)).mean() > NOT_A_MASK  # the case the old rule refused
    out = Output(tmp_path / "o", "test")
    m = binary_mask(lab, out)
    assert m[:, 4 :: 8 * every].all() and not m[:, 4 + 4 * every :: 8 * every].any()  # line centres, gaps
    assert out.notes["labels_resampled"] == 1


def test_binary_mask_still_refuses_photos(realdata, tmp_path):
    """The real photos of the fixtures (aerial RGB, SAR, a smooth infrared sky, 16-bit pan and thermal) given as
    the label are each refused, ramps or not; the real masks are each read."""
    import rasterio

    from data_gen.convert.binmask import NotAMask, binary_mask
    from data_gen.convert.common import Output

    out = Output(tmp_path / "o", "test")
    grey = {p: np.asarray(Image.open(realdata / p).convert("L")) for p in (
        "obb_dota/P1888.png", "cd_levir/test_7_0256_0512_A.png", "cls_aid/church_183.png",
        "sar_hrsid/P0008_0_800_9000_9800.jpg", "ir_sirst/Misc_100.png")}
    for p in ("bldg_spacenet4/sample_geotiff.tif", "seg_detectree/1091-322_00_img.tif", "msi_landsat7/RGB.byte.tif"):
        with rasterio.open(realdata / p) as ds:
            grey[p] = ds.read(1)
    refused = []
    for p, a in grey.items():
        with contextlib.suppress(NotAMask):
            binary_mask(a, out)
            continue
        refused.append(p)
    assert refused == list(grey)
    for p in ("cd_levir/test_7_0256_0512_label.png", "sar_hrsid/P0008_0_800_9000_9800_mask.png"):
        assert binary_mask(np.asarray(Image.open(realdata / p).convert("L")), out).any(), p


def _coco(tmp_path, anns: list[dict]) -> tuple[dict, dict]:
    import json

    png(tmp_path / "imgs" / "a.png", 64, 48)
    ann = tmp_path / "a.json"
    ann.write_text(json.dumps({"images": [{"id": 1, "file_name": "a.png"}], "annotations": anns,
                               "categories": [{"id": 1, "name": "car"}, {"id": 2, "name": "ship"}]}))
    stats, recs = convert(tmp_path / "out", "coco", "--ann", str(ann), "--images", str(tmp_path / "imgs"))
    return stats, {r["id"]: r for r in recs}


def test_coco_crowd_region_gets_no_ground_record(tmp_path):
    """A crowd of cars (``iscrowd: 1``), the one car annotation of the image, was asked about as "Where is the
    car?", its answer the crowd's box: one car where there are many. It gets none now, counted; a ship alone does."""
    crowd = {"id": 1, "image_id": 1, "category_id": 1, "bbox": [4, 4, 20, 12], "iscrowd": 1}
    ship = {"id": 2, "image_id": 1, "category_id": 2, "bbox": [40, 20, 10, 10], "iscrowd": 0}
    stats, by = _coco(tmp_path / "one", [crowd, ship])
    assert "coco-a-ground-car" not in by and "coco-a-ground-ship" in by and "coco-a-det-box" in by
    assert stats["notes"]["ground_left_out_for_crowd"] == 1
    car = {"id": 3, "image_id": 1, "category_id": 1, "bbox": [30, 30, 8, 6], "iscrowd": 0}
    stats, by = _coco(tmp_path / "two", [crowd, car])
    assert "coco-a-ground-car" not in by and stats["notes"]["ground_left_out_for_crowd"] == 1


def test_folder_keeps_the_class_of_a_class_folder_of_season_or_sensor_sub_folders(tmp_path):
    """``forest/summer/…`` beside ``forest/winter/…`` was read as a wrapper ``forest`` of two classes, every image
    of class ``summer`` or ``winter``. Sub-folders named by season, month, time, sensor or split words keep the
    class ``forest``, counted; a wrapper of class folders (``Images/forest``, ``Images/river``) is read through."""
    for sub in ("summer", "winter"):
        png(tmp_path / "season" / "forest" / sub / "a_1.png", 32, 32)
    for sub in ("optical", "SAR_VV"):
        png(tmp_path / "sensor" / "forest" / sub / "a_1.png", 32, 32)
    for src in ("season", "sensor"):
        stats, recs = convert(tmp_path / f"o_{src}", "folder", "--src", str(tmp_path / src))
        assert [r["conversations"][-1]["value"] for r in recs] == ["forest"] * 2, src
        assert stats["notes"]["sub_folders_of_one_class_folder"] == 2, src
        assert "wrapper_folders_descended" not in stats["notes"], src
    for c in ("forest", "river"):
        png(tmp_path / "wrap" / "Images" / c / f"{c}_1.png", 32, 32)
    stats, recs = convert(tmp_path / "o_wrap", "folder", "--src", str(tmp_path / "wrap"))
    assert sorted(r["conversations"][-1]["value"] for r in recs) == ["forest", "river"]


def test_masks_binary_reads_a_float_label_with_nan_as_no_data(tmp_path):
    """A float32 GeoTIFF mask 0/1 with NaN for no-data (a raster calculator's export) stopped the run with
    "ValueError: cannot convert float NaN to integer". NaN pixels are no class pixels now, counted."""
    import rasterio

    lab = np.zeros((64, 64), np.float32)
    lab[8:24, 8:24] = 1
    lab[50:, :] = np.nan
    png(tmp_path / "img" / "a.png", 64, 64)
    (tmp_path / "lab").mkdir()
    with rasterio.open(tmp_path / "lab" / "a_mask.tif", "w", driver="GTiff", width=64, height=64, count=1,
                       dtype="float32") as ds:
        ds.write(lab, 1)
    stats, recs = convert(tmp_path / "o", "masks", "--images", str(tmp_path / "img"), "--labels",
                          str(tmp_path / "lab"), "--binary", "building")
    (poly,) = objs(recs[0])
    assert max(y for _, y in poly["coords"]) <= 25 and stats["notes"]["label_pixels_nan"] == 14 * 64


def test_binary_mask_refuses_a_colour_label_of_several_classes_read_as_grey(tmp_path):
    """A Potsdam colour label under ``--binary`` is read as grey: six flat greys, half of them mid-grey. Neither
    the instance-id rule (flat regions) nor the resampled-mask rule (smooth) may take it whole: it is refused."""
    from data_gen.convert.binmask import NotAMask, binary_mask
    from data_gen.convert.common import Output

    rgb = np.zeros((96, 96, 3), np.uint8)
    for k, c in enumerate([(255, 255, 255), (0, 0, 255), (0, 255, 255), (0, 255, 0), (255, 255, 0), (255, 0, 0)]):
        rgb[k * 16:(k + 1) * 16] = c
    with pytest.raises(NotAMask, match="50% of its pixels are mid-grey"):
        binary_mask(np.asarray(Image.fromarray(rgb).convert("L")), Output(tmp_path / "o", "test"))


def test_masks_binary_keeps_255_of_a_jpeg_mask_whose_0_decodes_to_1(tmp_path):
    """A 0/255 mask saved as JPEG (quality 70) decodes to 1 and 255: read as a 0/1 label with 255 void, its 255
    (the class) was dropped and the background (1) made the class. A JPEG's 255 is never void."""
    lab = np.zeros((64, 64), np.uint8)
    lab[8:40, 16:48] = 255
    stats, recs = _masks_run(tmp_path, lab, "a.jpg", quality=70)
    (poly,) = objs(recs[0])
    xs, ys = zip(*poly["coords"])
    assert 15 <= min(xs) and max(xs) <= 49 and 7 <= min(ys) and max(ys) <= 41
    assert "label_pixels_ignored_255" not in stats["notes"]


def test_levir_tiles_of_a_0_1_label_mostly_void_get_no_record(tmp_path):
    """A 0/1 change label with 255 over its lower half (outside the surveyed area): those tiles were described
    "No change." (its 255 thresholded into "changes" before). They get no record now, counted; the others do."""
    for tag in ("A", "B"):
        png(tmp_path / "s" / tag / "p.png", 64, 64)
    lab = np.zeros((64, 64), np.uint8)
    lab[4:20, 4:20] = 1
    lab[32:, :] = 255
    (tmp_path / "s" / "label").mkdir()
    Image.fromarray(lab).save(tmp_path / "s" / "label" / "p.png")
    stats, recs = convert(tmp_path / "o", "levir-cd", "--src", str(tmp_path / "s"), "--tile", "32")
    said = {r["id"]: r["conversations"][-1]["value"] for r in recs if r["id"].endswith("-describe")}
    assert said == {"levir-p-0-0-describe": "1 building area changed, covering 25.0% of the image.",
                    "levir-p-32-0-describe": "No change."}
    assert stats["notes"]["windows_mostly_void"] == 2 and stats["notes"]["label_pixels_ignored_255"] == 32 * 64


def test_geojson_class_property_of_osm_yes_gives_the_property_name(tmp_path, realdata):
    """SpaceNet's footprints carry OpenStreetMap's ``building: "yes"``: ``--class-property building`` wrote every
    footprint as class ``yes`` (``<ref>yes</ref>``). A yes/true value gives the property's name; no is filtered (no error)."""
    import json

    data = json.loads((realdata / "bldg_spacenet4" / "geotiff_labels.geojson").read_text())
    data["features"][0]["properties"]["building"] = "no"
    (tmp_path / "a.geojson").write_text(json.dumps(data))
    stats, recs = convert(tmp_path / "o", "geojson", "--images", str(realdata / "bldg_spacenet4" / "sample_geotiff.tif"),
                          "--labels", str(tmp_path / "a.geojson"), "--class-property", "building")
    assert {o["label"] for r in recs for o in objs(r)} == {"building"}
    assert stats["notes"]["class_property_yes_read_as_its_name"] == 42 and stats["skipped"] == {}
    assert stats["filtered"] == {"--class-property building: property_says_no": 1}  # was unknown_class, an error


def test_masks_binary_traces_touching_instance_ids_apart(tmp_path):
    """Row houses in an instance-id label (40 ids, each house touching the next): read as one mask, every row was
    one polygon. The pixels of a house along its neighbour are cleared (counted), so each house is its own."""
    lab = np.zeros((128, 128), np.uint8)
    ids = iter(range(1, 41))
    for row in range(4):
        for k in range(10):
            lab[row * 30 + 4:row * 30 + 24, 4 + k * 12:16 + k * 12] = next(ids)  # 12 px apart, 12 wide: touching
    stats, recs = _masks_run(tmp_path, lab)
    assert len(objs(recs[0])) == 40 and stats["notes"]["instance_boundary_pixels_cleared"] == 4 * 9 * 20


@pytest.mark.parametrize("quality", [15, 40, 70])
def test_binary_mask_keeps_a_jpeg_mask_whose_0_decodes_to_1_and_noise(quality, realdata, tmp_path):
    """The LEVIR-CD label saved as JPEG at these qualities decodes its 0 to 1 (a flat background) beside 70-240
    values of ringing: read as instance ids (over 32 values, 91% of the in-between pixels flat), every non-zero
    value was taken, the background as the change (15% of the pixels right). Its flat pixels hold one value, not
    one per id: it is thresholded."""
    import io

    from data_gen.convert.binmask import binary_mask
    from data_gen.convert.common import Output

    truth = np.asarray(Image.open(realdata / "cd_levir" / "test_7_0256_0512_label.png").convert("L")) > 0
    buf = io.BytesIO()
    Image.fromarray(truth.astype(np.uint8) * 255).save(buf, "JPEG", quality=quality)
    out = Output(tmp_path / "o", "test")
    m = binary_mask(np.asarray(Image.open(buf)), out, lossy=True)
    assert (m == truth).mean() > 0.99 and "labels_not_binary_every_nonzero_taken" not in out.notes


def test_folder_keeps_the_class_of_a_class_folder_of_sensor_named_sub_folders(tmp_path):
    """``forest/sentinel2/`` beside ``forest/landsat8/`` (or ``S2``, ``L8``) was a wrapper ``forest`` of classes
    ``sentinel`` and ``landsat``: a sensor's name with its number is a qualifier as ``optical`` is."""
    for subs in (("sentinel2", "landsat8"), ("S2", "L8")):
        for sub in subs:
            png(tmp_path / subs[0] / "forest" / sub / "a_1.png", 32, 32)
        stats, recs = convert(tmp_path / f"o_{subs[0]}", "folder", "--src", str(tmp_path / subs[0]))
        assert [r["conversations"][-1]["value"] for r in recs] == ["forest"] * 2, subs
        assert stats["notes"]["sub_folders_of_one_class_folder"] == 2, subs


def test_classes_given_in_the_plural_take_their_singular_class(tmp_path):
    """``--classes "small vehicles,buses"`` matched nothing (DOTA's class is ``small-vehicle``): every annotation was
    left out and the notes said only that no annotation had the class. A plural takes its singular, noted."""
    png(tmp_path / "d" / "a.png", 64, 64)
    (tmp_path / "d" / "a.txt").write_text("10 10 40 10 40 30 10 30 small-vehicle 0\n5 40 20 40 20 60 5 60 bus 0\n"
                                          "40 40 60 40 60 60 40 60 plane 0\n")
    stats, recs = convert(tmp_path / "o", "dota", "--src", str(tmp_path / "d"), "--classes", "small vehicles,buses")
    assert {o.get("label") for r in recs for o in objs(r)} - {None} == {"small vehicle", "bus"}
    assert stats["notes"] == {"--classes buses: read as bus": 1, "--classes small vehicles: read as small vehicle": 1}
    assert stats["filtered"] == {"--classes: plane": 1}


@pytest.mark.parametrize("quality", [30, 50, 75, 95])
def test_binary_mask_keeps_a_dark_0_100_jpeg_mask(quality, realdata, tmp_path):
    """The LEVIR-CD label as 0/100 through JPEG: at quality 30-75 it rings up to 128-139, and thresholded at half
    the range its class was lost (13.6% of the pixels wrong); at 95 it decodes to 24 values under half the range,
    taken as codes, its noise around 0 the class too. Half its class's value (100) is the threshold now."""
    import io

    from data_gen.convert.binmask import binary_mask
    from data_gen.convert.common import Output

    truth = np.asarray(Image.open(realdata / "cd_levir" / "test_7_0256_0512_label.png").convert("L")) > 0
    buf = io.BytesIO()
    Image.fromarray(truth.astype(np.uint8) * 100).save(buf, "JPEG", quality=quality)
    out = Output(tmp_path / "o", "test")
    assert (binary_mask(np.asarray(Image.open(buf)), out, lossy=True) == truth).mean() > 0.99


def test_folder_split_folders_of_class_folders_under_one_top_folder_are_refused(tmp_path):
    """``EuroSAT/train/forest/`` beside ``EuroSAT/val/river/``: 72727ad8's split words kept ``EuroSAT`` as one class
    folder, every image of class ``euro sat``, unsaid. Qualifier sub-folders holding folders are a split of class
    folders: the run is refused naming the ``--src`` to give, as before."""
    from data_gen.convert.common import ConversionError

    for split in ("train", "val"):
        for c in ("forest", "river"):
            png(tmp_path / "src" / "EuroSAT" / split / c / f"{c}_1.png", 32, 32)
    with pytest.raises(ConversionError, match=r"train, val look like a split .* give --src .*EuroSAT/train"):
        convert(tmp_path / "o", "folder", "--src", str(tmp_path / "src"))


@pytest.mark.parametrize("factor", [4, 8])
def test_binary_mask_refuses_a_smooth_photo_enlarged_as_instance_ids(factor, realdata, tmp_path):
    """The SIRST infrared sky (80 levels up to 103) enlarged 4x or 8x is flat in 2x2 blocks of one level, over 32
    of them: taken whole as instance ids, 61-79% of it the class. Its changes are all small steps between two
    levels, as instance ids' are not (row houses, ids 1…40, still pass): it is refused as a photo."""
    from data_gen.convert.binmask import NotAMask, binary_mask
    from data_gen.convert.common import Output

    sky = Image.open(realdata / "ir_sirst" / "Misc_100.png").convert("L")
    lab = np.asarray(sky.resize((sky.width * factor, sky.height * factor), Image.BILINEAR))
    with pytest.raises(NotAMask, match="mid-grey"):
        binary_mask(lab, Output(tmp_path / "o", "test"))


def test_binary_mask_never_voids_the_255_of_a_lossy_file(tmp_path):
    """The JPEG tests above pass with ``lossy`` ignored (their labels decode to 1/255 or many values, never exactly
    0/1/255): a 0/1/255 label of flat 1s read from a JPEG keeps its 255 as the class (``lossy_file``)."""
    from data_gen.convert.binmask import binary_mask, lossy_file
    from data_gen.convert.common import Output

    lab = np.zeros((32, 32), np.uint8)
    lab[:, :16], lab[8:24, 20:28], lab[0, 0] = 1, 255, 0  # background 1 with a 0 in it, the class 255
    out = Output(tmp_path / "o", "test")
    assert lossy_file("a.JPG") and lossy_file("a.jpeg") and not lossy_file("a.png")
    assert binary_mask(lab, out, lossy=True).sum() == 16 * 8 and "label_pixels_ignored_255" not in out.notes
    assert binary_mask(lab, out).sum() == 32 * 16 - 1  # a lossless file: 255 void, the 1s the class
