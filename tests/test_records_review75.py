"""Review 75 (area K): the record checks added at tour 75 take the forms users and their tools write (ids of
LLaVA/GeoChat JSON, rasterio's affine however listed, every CRS spelling PROJ reads), and refuse others naming them."""

import copy
import json

import pytest

from rsvlm.data.read_report import ReadReport
from rsvlm.data.records import RecordError, normalize_record, read_records

BASE = {"id": "a", "images": [{"path": "a.tif"}],
        "conversations": [{"from": "human", "value": "<image>\n[cls] Class?"}, {"from": "gpt", "value": "church"}]}
WKT = ('PROJCS["WGS 84 / UTM zone 18N",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],'
       'PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],'
       'PARAMETER["central_meridian",-75],UNIT["metre",1],AUTHORITY["EPSG","32618"]]')
AFFINE = [0.5, 0.0, 500000.0, 0.0, -0.5, 4000000.0]


def _image(**fields) -> dict:
    rec = copy.deepcopy(BASE)
    rec["images"][0].update(fields)
    return rec


@pytest.mark.parametrize("crs", [WKT, "EPSG:4326", "epsg:32618", "+proj=utm +zone=18 +datum=WGS84 +units=m",
                                 {"init": "epsg:4326"}, {"proj": "utm", "zone": 18, "datum": "WGS84"},
                                 {"type": "GeographicCRS", "name": "WGS 84", "datum": {"type": "GeodeticReferenceFrame", "name": "World Geodetic System 1984", "ellipsoid": {"name": "WGS 84", "semi_major_axis": 6378137, "inverse_flattening": 298.257223563}}, "coordinate_system": {"subtype": "ellipsoidal", "axis": [{"name": "Geodetic latitude", "abbreviation": "Lat", "direction": "north", "unit": "degree"}, {"name": "Geodetic longitude", "abbreviation": "Lon", "direction": "east", "unit": "degree"}]}, "id": {"authority": "EPSG", "code": 4326}},
                                 4326])
def test_every_crs_spelling_rasterio_or_pyproj_take_is_kept_as_written(crs):
    """ds.crs.to_string() gives 'EPSG:…' or WKT; rasterio's older dict form and proj4 strings are still written.
    None is parsed at read (nothing reads a record's crs), so none is refused for its content."""
    assert normalize_record(_image(crs=crs))["images"][0]["crs"] == crs


@pytest.mark.parametrize("transform", [AFFINE, AFFINE + [0, 0, 1], tuple(AFFINE), [int(v) for v in AFFINE]])
def test_rasterio_affine_as_6_or_9_numbers_list_or_tuple_is_kept(transform):
    """list(ds.transform)[:6] (data_gen), list(Affine) (9, ending 0, 0, 1), and a tuple of a record built in Python:
    a tuple of 6 finite numbers was refused as 'must be 6 finite numbers … got tuple'."""
    assert list(normalize_record(_image(transform=transform))["images"][0]["transform"]) == list(transform)


@pytest.mark.parametrize("transform, got", [([AFFINE[:3], AFFINE[3:], [0, 0, 1]], "got list [[0.5"),
                                            (AFFINE + [0, 0, 2], "got list [0.5"), ({"a": 0.5}, "got dict")])
def test_a_transform_of_another_shape_is_refused_naming_what_was_given(transform, got):
    with pytest.raises(RecordError, match=r"^f.jsonl:3 \(id a\): field 'images\[0\]\.transform': must be 6 finite") as e:
        normalize_record(_image(transform=transform), "f.jsonl:3")
    assert got in str(e.value)


def test_a_meta_that_is_no_object_names_what_it_was():
    with pytest.raises(RecordError, match=r"field 'meta': must be an object, got list \[1\]$"):
        normalize_record({**BASE, "meta": [1]})


def test_llava_and_geochat_json_with_numeric_ids_reads_strictly(tmp_path):
    """A LLaVA/GeoChat JSON array: "image" for its one image, ids that are numbers (0 too). Ids become strings,
    so 7 and "7" are one id, counted as read twice."""
    turns = [{"from": "human", "value": "<image>\nWhat is in the image?"}, {"from": "gpt", "value": "A church."}]
    rows = [{"id": rid, "image": "church_183.png", "conversations": turns} for rid in (0, 7, 123456789012, "7")]
    path = tmp_path / "geochat.json"
    path.write_text(json.dumps(rows))
    report = ReadReport(str(path))
    recs = list(read_records(path, report=report))
    assert [r["id"] for r in recs] == ["0", "7", "123456789012", "7"]
    assert [im["path"] for im in recs[0]["images"]] == ["church_183.png"]  # its modality inferred from the file
    assert report.n_skipped == 0 and report.duplicates == 1
