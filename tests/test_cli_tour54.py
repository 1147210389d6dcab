"""What every command of ``rsvlm`` shares (rsvlm.cli.main, rsvlm.inference), tour 54: predict reads a
task tag as chat does, --min-objects without the grammar is refused by every command, a reader that
closes stdout ends a command quietly, and "1 feature" is singular."""

from __future__ import annotations

import pytest

from rsvlm.cli import main


def predict(tmp_path, image, *extra):
    return main(["predict", "--model", str(tmp_path / "no-model"), "--image", str(image), "--task", "det",
                 "--device", "cpu", *extra])


def test_predict_reads_its_prompts_task_tag_in_any_case_and_refuses_an_unknown_one(geotiff, tmp_path, capsys):
    from rsvlm import inference as inf

    assert inf.tagged("[DET]Find the ships.") == "[det] Find the ships."
    predict(tmp_path, geotiff, "--prompt", "[DET] Find the ships.")  # the model is looked for after the prompt
    assert "--prompt opens with" not in capsys.readouterr().err  # was: asked as [DET], plain characters to it
    assert predict(tmp_path, geotiff, "--prompt", "[detect] ships") == 2
    err = capsys.readouterr().err
    assert "rsvlm predict: --prompt: unknown task tag [detect]" in err and "[det]" in err, err
    assert predict(tmp_path, geotiff, "--prompt", "<image> ships?") == 2
    assert "<image> is where an image goes" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["predict", "eval"])
def test_min_objects_without_the_grammar_is_refused_by_every_command(command, geotiff, tmp_path, capsys):
    argv = {"predict": ["--image", str(geotiff), "--task", "det"], "eval": ["--data", str(tmp_path / "d.jsonl"),
                                                         "--out", str(tmp_path / "p.jsonl")]}[command]
    assert main([command, "--model", str(tmp_path / "no-model"), *argv, "--free-decoding", "--min-objects", "3"]) == 2
    assert f"rsvlm {command}: --min-objects works through the geometry grammar" in capsys.readouterr().err


def test_a_reader_that_closes_stdout_ends_the_command_quietly(monkeypatch, capfd):
    from rsvlm import predict as pred

    def closed(args):
        raise BrokenPipeError(32, "Broken pipe")  # print() into `| head -1` after head has exited

    monkeypatch.setattr(pred, "main", closed)
    assert main(["predict", "--image", "x.tif", "--task", "det"]) == 0


def test_one_geojson_feature_is_singular():
    from rsvlm.inference import geojson_count

    assert geojson_count({"features": [{}]}, [{}]) == "1 feature"
    assert geojson_count({"features": [{}, {}]}, [{}, {}, {}]) == "2 features; 1 object without a shape left out"


def test_an_image_name_the_system_refuses_is_one_line_naming_it(tmp_path, capsys):
    """A file name past 255 bytes: is_file() raised ENAMETOOLONG, a traceback out of predict."""
    long = tmp_path / ("a" * 300 + ".tif")
    assert predict(tmp_path, long) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"rsvlm predict: {long}: ") and "too long" in err[0], err


def test_a_pair_of_one_file_twice_is_flagged(geotiff, tmp_path):
    from rsvlm import inference as inf

    img = inf.read_spec(inf.ImageSpec.parse(str(geotiff), None, None))
    notes = inf.pair_notes(img, img)
    assert len(notes) == 1 and notes[0].startswith(f"both images of the pair are {geotiff}"), notes
    (tmp_path / "link.tif").symlink_to(geotiff)  # the same file under another name
    assert inf.pair_notes(img, inf.read_spec(inf.ImageSpec.parse(str(tmp_path / "link.tif"), None, None)))


@pytest.mark.parametrize("name", ["page.tif", "notes.png"])
def test_a_text_file_given_as_an_image_is_named_as_text_not_as_a_corrupt_raster(name, tmp_path, capsys):
    """An HTML error page saved as .tif read 'not a readable raster, truncated or corrupt'."""
    page = tmp_path / name
    page.write_text("<html><body>403 Forbidden</body></html>\n")
    assert predict(tmp_path, page) == 2
    assert f"{page}: a text file, not an image (it starts '<html><body>403 Forbidden</body></html>')" \
        in capsys.readouterr().err


def test_a_broken_vrt_keeps_gdals_words(tmp_path):
    """A VRT is text that GDAL reads: its missing source is the fault, not its being text."""
    from rsvlm.io import read_image
    from rsvlm.io.sources import ImageReadError

    vrt = tmp_path / "scene.vrt"
    vrt.write_text('<VRTDataset rasterXSize="4" rasterYSize="4"><VRTRasterBand dataType="Byte" band="1">'
                   '<SimpleSource><SourceFilename relativeToVRT="1">gone.tif</SourceFilename></SimpleSource>'
                   "</VRTRasterBand></VRTDataset>\n")
    with pytest.raises(ImageReadError) as e:
        read_image(vrt)
    assert "gone.tif" in str(e.value) and "text file" not in str(e.value)


def test_a_torchscript_encoder_file_is_refused_without_torchs_advice_to_unpickle(tmp_path):
    import torch

    from rsvlm.model.vision import read_state_dict

    path = tmp_path / "ViT-B-16.pt"  # OpenAI's CLIP release is a TorchScript archive
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), str(path))
    with pytest.raises(ValueError) as e:
        read_state_dict(path)
    says = str(e.value)
    assert says.startswith(f"{path}: not a plain tensor state dict") and "safetensors release" in says, says
    assert "weights_only=False" not in says, says  # torch's advice, which the project refuses
