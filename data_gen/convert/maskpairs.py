"""How ``masks`` pairs each label image with its image (``pair_files``), and what it says where it finds none
(``no_suffix_hint``). A label's stem less its label suffix names its image, in that case first, else in any case
where one image alone so matches (``X_MASK.png`` with ``x.png``: a dataset exported on Windows). Cannot: pair by
anything but the name (two images differing only in case are refused, not told apart by their size or bytes)."""

from __future__ import annotations

from pathlib import Path

from data_gen.convert.common import IMAGE_EXTS, Output
from data_gen.convert.lookup import by_lower_case, index_images, note_unlabelled

LABEL_SUFFIXES = ("_instance_color_RGB", "_response", "_labels", "_label", "_mask", "_gt")
IMAGE_SUFFIXES = ("_img", "_image", "_sat", "_rgb")  # an image's own suffix (detectree, DeepGlobe: 1_sat.jpg)


def less_suffix(stem: str, suffixes) -> str | None:
    """``stem`` less the first of ``suffixes`` it ends with, in any case (``IMG_1_MASK``: a dataset renamed on
    Windows was "no label images"); None where it ends with none."""
    return next((stem[: -len(s)] for s in suffixes if s and stem.lower().endswith(s.lower())), None)


def pair_files(images: Path, labels: Path, suffix: str | None, out: Output | None = None,
               beside: dict | None = None, twins: dict | None = None) -> list[tuple[Path | None, Path]]:
    """(image or None, label) per label file; with ``out``, the images under an ``images`` folder
    that no label pairs with are counted in the notes as ``images_without_label`` (not an error: a
    DeepGlobe or LoveDA test split has no masks). An image beside its own label in ``labels`` (HRSID's ``x.jpg`` by
    ``x_mask.png``, in one folder) is no label: left in ``beside`` ((folder, label stem less its suffix) → the image's
    name); one not paired as an image is counted in the notes (a label so named is not lost unsaid). A label whose
    image is there in another case alone pairs with it (noted as ``image_name_case_differs``); where two or more
    images so differ only in case, its image is None and ``twins`` gets label → those images. An image that a label
    of its own case pairs with is no other label's."""

    if images.is_file() and labels.is_file():
        return [(images, labels)]
    suffixes = [suffix] if suffix else LABEL_SUFFIXES
    apart: list[Path] = []  # files in --labels read as the image beside their label, not as labels
    # not ._x_mask.png of a zip made on a Mac (unreadable_label), nor an --out inside --labels (its images, a rerun's
    # missing_image each)
    label_files = [labels] if labels.is_file() else [
        p for p in (out.inputs_under(labels) if out is not None else sorted(labels.rglob("*")))
        if p.suffix.lower() in IMAGE_EXTS]
    if labels.is_dir() and images.is_dir() and labels.resolve() == images.resolve():
        # one folder holds both: its labels are the files whose stem carries a label suffix
        label_files = [p for p in label_files if less_suffix(p.stem, suffixes) is not None]
    else:  # it was a label of no image, a missing_image where --images held the image; in its own folder alone
        if images.is_dir() and images.resolve().is_relative_to(labels.resolve()):  # --labels ds --images ds/images
            label_files = [p for p in label_files if not p.resolve().is_relative_to(images.resolve())]
        labs = {(p.parent, b): p.name for p in label_files if (b := less_suffix(p.stem, suffixes)) is not None}
        own = {(d, b + s): (b, name) for (d, b), name in labs.items() for s in ("", *IMAGE_SUFFIXES)}
        apart = [p for p in label_files if (p.parent, p.stem) in own and less_suffix(p.stem, suffixes) is None]
        for p in apart:
            (beside if beside is not None else {}).setdefault((p.parent, own[p.parent, p.stem][0]), p.name)
        drop = set(apart)
        label_files = [p for p in label_files if p not in drop]
    index = {images.stem: images, images.name: images} if images.is_file() else index_images(images, out)
    bare = {lab: less_suffix(lab.stem, suffixes) for lab in label_files}  # a label's stem less its suffix
    keys = {lab: (b, *(b + s for s in IMAGE_SUFFIXES)) for lab in label_files
            for b in [lab.stem if bare[lab] is None else bare[lab]]}
    exact = {lab: next((index[k] for k in keys[lab] if k in index), None) for lab in label_files}
    claimed = set(exact.values())  # A_mask.png beside a_mask.png: a.png is a_mask's, not A's too (a -dup2 record)
    pairs, cased = [], None
    for lab in label_files:
        img = exact[lab]
        if img is None:  # X_MASK.png by x.png: it was missing_image
            if cased is None:  # each image by its stem key (the index's first of a stem)
                cased = by_lower_case([p for k, p in index.items() if k == p.stem], stem=True)
            hits = list(dict.fromkeys(p for k in keys[lab] for p in cased.get(k.lower(), ()) if p not in claimed))
            if len(hits) == 1:
                img = hits[0]
                if out is not None:
                    out.note("image_name_case_differs", example=f"{lab.name}: paired with {img.name}")
            elif hits and twins is not None:
                twins[lab] = hits
        if img is not None and img.resolve() == lab.resolve():
            img = None
        pairs.append((img, lab))
    paired = {img.resolve() for img, _ in pairs if img is not None}
    if out is not None and (unread := [p for p in apart if p.resolve() not in paired]):  # a label so named: counted
        out.note("files_in_labels_read_as_images", len(unread), f"{unread[0]}: beside "
                 f"{own[unread[0].parent, unread[0].stem][1]}, taken for its image, not read as a label")
    if out is not None and images.is_dir():  # an image no label pairs with was left out unsaid
        note_unlabelled(out, index, [*label_files, *(img for img, _ in pairs if img is not None)])
    return pairs


def no_suffix_hint(images: Path, labels: Path, suffix: str | None) -> str:
    """Where one folder holds the images and labels and no file's stem ends with a label suffix (SIRST's
    ``Misc_100_pixels0.png`` beside ``Misc_100.png``), the suffixes looked for and ``--label-suffix`` (with the
    suffix by which one file's stem extends another's, where one does); "" otherwise."""

    if not (labels.is_dir() and images.is_dir() and labels.resolve() == images.resolve()):
        return ""
    stems = sorted({p.stem for p in labels.rglob("*") if p.suffix.lower() in IMAGE_EXTS})
    seen = set(stems)
    guess = next((b[len(a):] for b in stems for a in (b[:i] for i in range(len(b) - 1, 0, -1) if b[i] == "_")
                  if a in seen), None)
    looked = f"--label-suffix {suffix!r}" if suffix else f"one of {', '.join(LABEL_SUFFIXES)} (any case)"
    known = next((s for s in LABEL_SUFFIXES for st in stems if st.lower().endswith(s.lower())), None) \
        if suffix else None  # detectree's X_response.tif under --label-suffix _mask: "give --label-suffix", unsaid which
    return (f": in a folder of images and labels a label's stem ends with {looked}; "
            + (f"{labels} holds stems ending with {known}, a default label suffix: leave --label-suffix out"
               if known else "give --label-suffix"
               + (f" (e.g. --label-suffix {guess}: a stem that is another's plus {guess!r})" if guess else "")))
