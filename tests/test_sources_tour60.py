"""Tour 60: a URL given as an image says rsvlm reads local files only (io/sources.py ``check_image_path``)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("url", ["https://example.com/tiles/scene.tif", "http://host/a.png", "s3://bucket/key/b.tif",
                                 "GS://bucket/c.jp2"])
def test_a_url_is_said_to_need_a_download_first_named_as_written(url):
    """Was "image not found: https:/example.com/…" (the Path's folded "//"), as if a local file were missing."""
    from rsvlm.io import image_size, read_image

    for read in (read_image, image_size):
        with pytest.raises(FileNotFoundError) as err:
            read(url)
        assert str(err.value).startswith(f"{url}: a URL, and rsvlm reads local files only; download it first")


def test_a_local_file_named_like_a_url_scheme_is_still_read(tmp_path, monkeypatch):
    """A folder called "https:" holding the image is a local file: read, not refused."""
    from PIL import Image

    from rsvlm.io import read_image

    monkeypatch.chdir(tmp_path)
    (tmp_path / "https:" / "host").mkdir(parents=True)
    Image.new("RGB", (8, 6)).save(tmp_path / "https:" / "host" / "a.png")
    assert read_image("https://host/a.png").data.shape == (3, 6, 8)


def test_chat_image_of_a_url_says_to_download_it(ckpt):
    from test_predict_edges import chat_repl

    repl, out = chat_repl(ckpt)
    assert not repl.load_image(["https://example.com/scene.tif"])
    assert "error: https://example.com/scene.tif: a URL, and rsvlm reads local files only" in out.getvalue()


def test_a_file_url_names_the_path_in_it(tmp_path):
    """file:///…/a.png was "image not found: file:/…/a.png"; the path to give is in it."""
    from rsvlm.io import read_image

    with pytest.raises(FileNotFoundError, match=rf"^file://{tmp_path}/a\.png: a file URL; give the path itself: "
                                                rf"{tmp_path}/a\.png$"):
        read_image(f"file://{tmp_path}/a.png")
