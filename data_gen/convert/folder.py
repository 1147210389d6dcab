"""Scene-classification folders → ``[cls]`` records.

``--src`` is either a folder of class folders (UCMerced, AID, RESISC45, EuroSAT: ``src/forest/
forest_012.jpg``) or a folder of loose images / one image file whose class is the file name
without its trailing ``_N`` (``church_183.png`` → ``church``). Class names are cleaned
(``storage_tank``, ``AnnualCrop`` → ``storage tank``, ``annual crop``). The question lists the
classes when there are at most ``--max-choices`` of them.

Modality: ``--modality``, else inferred per image and the inference counted in the notes
(``modality_inferred_msi`` …): a GeoTIFF or JP2 as ``rsvlm.io.read`` infers it from its bands
and dtype (EuroSAT-MS's 13 bands or an R, G, B, NIR scene → ``msi``, 3 bands → ``optical``, one
uint band → ``ir``, complex → ``sar``), a PNG or JPEG ``optical``. An image that cannot be read
as ``--modality`` is ``wrong_band_count`` (``images.check_bands``).
Unreadable images are bad annotations (``unreadable_image``), and so are images whose class name is
empty once cleaned or holds an rsvlm tag (``bad_class_name``: a folder ``_``); files that are not images are
ignored and counted (``not_an_image``), loose images whose name ends in no number are counted
(``class_from_whole_file_name``: ``sar_hh.tif`` is class ``sar hh``), and so are class folders without an image
(``class_folders_without_images``, naming the first: no class of the question's choices). An ``--out`` inside
``--src`` is not read as a class: its images are left out and counted
(``images_in_out_folder_ignored``). A top folder named like a split or wrapper (``train``, ``val``, ``images``…)
holding its images in sub-folders, beside other top folders, is an error naming the ``--src`` to give instead (every
image was class ``train``).
A single top folder holding every image in two or more sub-folders, whatever its name (EuroSAT's zip unpacks to
``2750/AnnualCrop/…``: every image was class ``2750``), is read through: its folders are the classes, counted in
the notes as ``wrapper_folders_descended``; where they name no classes of their own (dates, numbers, one word
numbered: ``forest/2017/``, ``forest/tile_1/``; words of season, time, sensor or split: ``forest/summer/``,
``forest/sentinel2/`` beside ``forest/landsat8/``) it is one class folder, its class kept, counted as ``sub_folders_of_one_class_folder``.

A scene given as one file per band (``forest/T33UUP_B02.jp2``, ``forest_12_b03.tif``: a part of the name
names a band) is one image of its band files (``band_files``, read as ``msi`` unless ``--modality``
says otherwise; ``bandfiles``), the files counted as ``band_files_grouped``; each file was an image
of class ``b``. A file so named whose header holds several bands (an RGB ``photo_b2.jpg``) is a plain image,
counted as ``band_named_images_of_several_bands_read_as_images``. Band files loose in ``--src`` whose names are band names alone (``B02.jp2``) name no
class: skipped as ``band_files_without_class`` (an error where they are all there is), and so are
scenes naming one band in two files (``band_given_twice``).
"""

from __future__ import annotations

import re
from pathlib import Path

from data_gen.convert.bandfiles import band_part, group_band_files, repeated_bands, scene_modality, scene_name
from data_gen.convert.common import (
    IMAGE_EXTS,
    ConversionError,
    Output,
    clean_label,
    make_meta,
    make_record,
    pick,
)
from data_gen.convert.detection import label_problem
from data_gen.convert.images import WrongBands, check_bands, image_size
from data_gen.convert.options import int_at_least
from data_gen.crop import RASTER_SUFFIXES
from rsvlm.tokens import MODALITIES

QUESTIONS = ("What kind of scene is this?", "Classify this scene.", "Which scene class does this image show?")


def add_arguments(p) -> None:
    p.add_argument("--src", required=True, type=Path, help="folder of class folders, loose images, or one image")
    p.add_argument("--modality", default=None, choices=MODALITIES, help="modality of every image (default: inferred)")
    p.add_argument("--max-choices", type=int_at_least(0), default=60, help="list the classes in the question up to this many")


def class_from_name(stem: str) -> str:
    """``church_183`` → ``church``; ``river-12`` → ``river``; ``Forest_1`` → ``forest``."""
    return clean_label(re.sub(r"[_\-\s]*\d+$", "", stem)) or clean_label(stem)


def _loose(stem: str, out: Output) -> str:
    """A loose image's class from its name's ``stem``; one without a trailing number (``sar_hh.tif``: its
    whole name as its class, likely no class at all) is counted as ``class_from_whole_file_name``."""
    if not re.search(r"\d$", stem):
        out.note("class_from_whole_file_name")
    return class_from_name(stem)


def _unbanded(p: Path) -> str:
    """A plain image's stem less a band part its name has (an RGB ``harbor_3_b2.jpg`` → ``harbor_3``: class
    ``harbor``, as a band file's scene name; it was ``harbor 3 b``), else its stem."""
    return (scene_name(p) or p.stem) if band_part(p) else p.stem


def _items(src: Path, out: Output) -> list[tuple[list[Path], str, str]]:
    """(files, class, scene) per image: one file, or the band files of one scene (``bandfiles``)."""
    if not src.is_file() and not src.is_dir():
        raise ConversionError(f"{src}: no such file or folder")
    files = []
    for p in [src] if src.is_file() else out.inputs_under(src):  # not the files of an --out inside --src
        if p.suffix.lower() not in IMAGE_EXTS:
            out.note("not_an_image", example=str(p))  # named: which file (a .tif.ovr, a README) was left
        else:
            files.append(p)
    one, src = src.is_file(), (src.parent if src.is_file() else src)  # one image: loose, its class from its name
    if not one:
        src = _through_wrappers(src, files, out)
    plain, scenes = group_band_files(files)
    if several := sum(band_part(p) is not None for p in plain):  # named like a band file, holding several bands
        out.note("band_named_images_of_several_bands_read_as_images", several)
    items = [([p], _loose(_unbanded(p), out) if p.parent == src else clean_label(p.relative_to(src).parts[0]), p.stem)
             for p in plain]  # loose: class from the name; under a class folder, at any depth: the folder
    nameless = []
    for folder, scene, paths in scenes:
        out.note("band_files_grouped", len(paths))
        if folder != src:
            items.append((paths, clean_label(paths[0].relative_to(src).parts[0]), scene or folder.name))
        elif scene:
            items.append((paths, _loose(scene, out), scene))
        else:
            nameless.append(paths)
    for paths in nameless:  # B02.jp2, B03.jp2 loose in --src: a scene whose names give no class
        out.skip("band_files_without_class", ", ".join(str(p) for p in paths),
                 "the file names are band names alone; put each scene's band files in a folder named "
                 "by its class (forest/B02.jp2) or name them class_N_B02.jp2")
    if not items and nameless:
        raise ConversionError(f"{src}: {sum(map(len, nameless))} band files ({', '.join(p.name for p in nameless[0])}) "
                              "name no scene class: put each scene's band files in a folder named by its class "
                              "(forest/B02.jp2, …) or name them class_N_B02.jp2")
    holding = {paths[0].relative_to(src).parts[0] for paths, _, _ in items if paths[0].parent != src}
    _no_split_folders(src, [paths[0] for paths, _, _ in items])
    mine = out.dir.resolve()
    if not one and (empty := [d for d in src.iterdir() if d.is_dir() and d.name not in holding and d.resolve() != mine
                                  and d.name != "__MACOSX"]):
        # not a class of the choices: said, not dropped unsaid; the first named (a count alone left it to be found)
        out.note("class_folders_without_images", len(empty), str(min(empty)))
    return sorted(items, key=lambda it: (it[0][0].parent == src, it[0][0]))  # class folders first, as before


def _through_wrappers(src: Path, files: list[Path], out: Output) -> Path:
    """The folder under ``src`` whose folders are the classes: ``src`` less any single top folder holding every
    image in sub-folders, two or more of them (EuroSAT's zip unpacks to ``2750/AnnualCrop/…``: every image was
    class ``2750``), each descended through counted in the notes as ``wrapper_folders_descended``. A folder of
    band files named by band alone (``forest/scene_1/B02.jp2``) is a scene, not a class: not descended into; nor
    is one class folder whose sub-folders name no classes (``_class_names``: ``forest/2017/``, ``forest/tile_1/``)."""
    held = [(f.parent.parent if band_part(f) and not scene_name(f) and f.parent != src else f.parent)
            .relative_to(src).parts for f in files]  # the folder each image's class is read from, at any depth
    depth = 0
    while held and all(len(p) > depth + 1 for p in held) and len({p[depth] for p in held}) == 1:
        depth += 1
    if depth == 0:
        return src
    deeper = any(len(p) > depth + 1 for p in held)  # EuroSAT/train/forest: a split of class folders, no qualifier
    if not _class_names((p[depth] for p in held), qualifiers=not deeper):  # one class folder: its class kept, said
        out.note("sub_folders_of_one_class_folder", len({p[depth] for p in held}))
        return src
    out.note("wrapper_folders_descended", depth)
    return src.joinpath(*held[0][:depth])


SPLITS = ("train", "training", "val", "valid", "validation", "test", "testing", "trainval")  # a split's folder names
SPLIT_FOLDERS = (*SPLITS, "images", "data")  # a top folder of these names is a split or a wrapper, not a class
# words that qualify a scene of a class rather than name one: when, how, by what sensor, which split (forest/summer/);
# no weather words: clear / cloudy / hazy are the classes of cloud-cover datasets
QUALIFIERS = frozenset((
    "spring summer autumn fall winter season dry wet rainy monsoon day night morning noon evening dawn dusk "
    "january february march april may june july august september october november december jan feb mar apr jun "
    "jul aug sep sept oct nov dec before after pre post early late rgb nir swir tir ir sar msi optical thermal "
    "pan vv vh hh hv asc desc ascending descending hr lr sentinel landsat worldview gaofen planet planetscope naip "
    "spot pleiades quickbird ikonos geoeye modis lidar").split() + list(SPLITS))
_SENSOR_CODE = re.compile(r"[a-z]{1,2}\d+")  # s1, s2, l8, wv3, gf2: a sensor's short name


def _qualifier(word: str) -> bool:
    """Whether ``word`` (cleaned) is a number or of ``QUALIFIERS``, a sensor's with its number too (``sentinel2``,
    ``landsat8``: forest/sentinel2 beside forest/landsat8 was a wrapper of classes sentinel and landsat)."""
    return word.isdigit() or word.rstrip("0123456789") in QUALIFIERS or bool(_SENSOR_CODE.fullmatch(word))


def _class_names(folders, qualifiers: bool = True) -> bool:
    """Whether ``folders`` (names) are two or more classes: each named by a word, not a date or a number
    (``2017``, ``2018-06``), not one word numbered (``tile_1``, ``tile_2``: tiles or scenes of one class), and
    with ``qualifiers`` (the folders hold the images, not folders of their own: ``EuroSAT/train/forest/`` beside
    ``EuroSAT/val/river/`` was one class ``euro sat``, not the split error naming ``train``) not all of
    ``QUALIFIERS``' words (``summer``, ``winter``; ``s1``, ``s2``: seasons, sensors of one class)."""
    folders = list(folders)
    names = {class_from_name(f) for f in folders}
    qualifying = qualifiers and all(_qualifier(w) for f in folders for w in clean_label(f).split())
    return len(names) > 1 and all(any(c.isalpha() for c in n) for n in names) and not qualifying


def _no_split_folders(src: Path, files: list[Path]) -> None:
    """ConversionError where a top folder of ``src`` that holds its images in sub-folders is named like a split or
    a wrapper (``train/church/1.png`` beside ``val/…``; a lone one, UCMerced's ``Images/agricultural/…``, was read
    through by ``_through_wrappers``): the class is the top folder, so every image was class ``train``, unsaid."""
    deep = {}
    for f in files:
        parts = f.relative_to(src).parts
        if len(parts) > 2 and parts[0].lower() in SPLIT_FOLDERS:
            deep.setdefault(parts[0], f)
    if deep:
        top, example = next(iter(sorted(deep.items())))
        raise ConversionError(f"{src}: its folder{'s' if len(deep) > 1 else ''} {', '.join(sorted(deep))} look"
                              f"{'' if len(deep) > 1 else 's'} like a split or wrapper, not a class (images in "
                              f"sub-folders: {example}); give --src {src / top}, whose folders are the classes")


def _modality(path: Path, out: Output) -> str:
    """The modality ``rsvlm.io.read`` infers from a GeoTIFF or JP2's bands and dtype, counted in the
    notes (it was ``optical`` below 5 bands: a 4-band R, G, B, NIR scene, which cannot be read as
    optical, or a uint16 thermal band); a PNG or JPEG is ``optical``."""
    modality = "optical"
    if path.suffix.lower() in RASTER_SUFFIXES:
        from rsvlm.io.read import SceneReader

        with SceneReader(path) as reader:
            modality = reader.modality
    out.note(f"modality_inferred_{modality}")
    return modality


def run(args, out: Output) -> None:
    items = _items(Path(args.src), out)
    if not items:
        raise ConversionError(f"{args.src}: no images found")
    checked, kept = {}, []
    for paths, cls, scene in items:  # a folder "_" was class "": an empty answer, and ", river" among the choices
        if (why := label_problem(cls, checked)) is None:
            kept.append((paths, cls, scene))
        else:
            out.skip("bad_class_name", ", ".join(map(str, paths)), f"its class {cls!r}: {why}")
    items = kept
    classes = sorted({c for _, c, _ in items})
    choices = f" Answer with one of: {', '.join(classes)}." if 1 < len(classes) <= args.max_choices else ""
    for paths, cls, scene in out.bar(items, "folder", "image"):
        if len(paths) > 1 and (twice := repeated_bands(paths)):
            out.skip("band_given_twice", ", ".join(map(str, paths)),
                     f"band{'s' * (len(twice) != 1)} {', '.join(twice)} in more than one file")
            continue
        try:
            sizes = {image_size(p, out) for p in paths}
            if len(paths) > 1:
                modality = scene_modality(paths, args.modality)
                if args.modality is None:
                    out.note(f"modality_inferred_{modality}")
            else:
                check_bands(paths[0], args.modality)
                modality = args.modality or _modality(paths[0], out)
        except WrongBands as e:
            out.skip("wrong_band_count", ", ".join(map(str, paths)), str(e))
            continue
        except (ValueError, OSError) as e:  # ConversionError, or the reader's ImageReadError
            out.skip("unreadable_image", ", ".join(map(str, paths)), str(e))
            continue
        width, height = sizes.pop()  # band files of different sizes: the reader refused them above
        label = clean_label(cls).replace(" ", "_")
        if len(paths) == 1:
            image = {"path": out.copy_image(paths[0], name=f"{label}__{paths[0].name}")}
        else:  # named by scene: two scenes' B02.jp2 were B02.jp2 and B02_1.jp2
            image = {"band_files": [out.copy_image(p, name=f"{label}__{p.name if scene_name(p) else f'{scene}_{p.name}'}")
                                    for p in paths]}
        rid = f"cls-{cls.replace(' ', '_')}-{scene}"
        q = pick(QUESTIONS, rid) + choices
        first = paths[0]
        more = f" (+{len(paths) - 1} band file{'s' * (len(paths) != 2)})" if len(paths) > 1 else ""
        meta = make_meta("folder", f"{first.parent.name}/{first.name}{more}", width, height)
        out.add(make_record(rid, [{**image, "modality": modality}], [(q, cls)], "cls", meta))
