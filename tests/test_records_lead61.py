"""A reading error's advice, said where records are read (training, eval): the record's fields, never
predict's options or read_image's argument, which neither run takes."""

import numpy as np
import pytest
from PIL import Image

from rsvlm.data.records import as_record_fields
from rsvlm.io.band_evidence import elevation_error
from rsvlm.io.read import read_image


def test_a_dem_refusal_names_the_record_s_modality_field():
    said = as_record_fields(str(elevation_error("dem.tif", "its unit 'm'")))
    assert "dem.tif" in said and 'a "modality" in the record\'s image' in said
    assert "--modality" not in said and "read_image" not in said


def test_a_mask_image_refusal_read_by_the_library_names_the_record_s_field(tmp_path):
    Image.fromarray(np.eye(16, dtype=bool)).convert("1").save(tmp_path / "label.png")
    with pytest.raises(ValueError) as e:
        read_image(tmp_path / "label.png")
    said = as_record_fields(str(e.value))
    assert "label.png" in said and 'give the modality (a "modality" in the record\'s image)' in said
    assert "--modality" not in said and "read_image" not in said


def test_worded_advice_keeps_its_words_as_the_record_s_field():
    assert as_record_fields("give the modality (--modality sar or ir)") == \
        'give the modality ("modality": "sar" or "ir" in the record)'
    assert as_record_fields("give the modality (--modality) if it is imagery") == \
        'give the modality (a "modality" in the record\'s image) if it is imagery'


def test_a_folder_of_one_image_is_answered_with_that_image_alone(tmp_path):
    """A folder holding one image offered it 'or, one file per band, comma-separated: a.png': the same
    file again, as if it were a band list."""
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "a.png")
    with pytest.raises(FileNotFoundError) as e:
        read_image(tmp_path)
    said = str(e.value)
    assert f"give its image: {tmp_path / 'a.png'}" in said and "comma-separated" not in said
