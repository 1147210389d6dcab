"""Processor: (prompt text with ``<image>`` placeholders, images) → model inputs.

Images arrive as float32 ``(C,H,W)`` arrays already physically scaled by the readers, each with a
modality and optionally band names (``ImageInput``). Each is checked, resized and normalised by its
modality's stem config into ``Pixels``; each ``<image>`` token in the text is expanded into as many
``<image>`` ids as that image yields visual tokens (HF-Llava style), which ``RSVLM`` then overwrites
with the projected visual embeddings, in order.

Limits: the number of visual tokens per image is fixed per modality (images are resized to the
encoder's size); the chat format is the tokenizer's own template or one from ``templates``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from rsvlm.data.conversation import PromptConfig
from rsvlm.model.stem import StemConfig, check_channels_first, match_bands, prepare
from rsvlm.model.templates import get_template, render
from rsvlm.progress import counted
from rsvlm.tokens import IMAGE_TOKEN, MODALITY_WORDS


@dataclass
class ImageInput:
    array: np.ndarray  # (C,H,W) float32, physically scaled; or a path, PIL image, tensor, RSImage (image_args)
    modality: str | None = None  # None: optical; a path's inferred now as a bare path's; an RSImage's own
    bands: list[str] | None = None  # names of the array's channels, if known
    name: str = "image"  # for error messages (e.g. the file path)

    def __post_init__(self):
        if isinstance(self.bands, str):  # "R,G,B" as --bands takes it (was 5 names: 'R', ',', 'G', ',', 'B')
            self.bands = [b.strip() for b in self.bands.split(",")]
        if isinstance(self.modality, str):  # "SAR" as --modality takes it (was 'no stem for modality 'SAR'')
            self.modality = self.modality.lower()
        if isinstance(self.array, (np.ndarray, torch.Tensor)):
            self.modality = self.modality or "optical"
            return
        from rsvlm.model.image_args import modality_given

        # a path's inferred as a bare path's (was optical), from its header and a sample: its pixels, read here, held
        # a list's every scene in memory; they are read where it is used, inferred again as a bare path's (a modality
        # set since: as given), notes warned. An RSImage's is its own (was optical; another was ignored unsaid)
        self.modality, inferred = modality_given(self.array, self.modality, self.name, self.bands)
        if inferred:
            self._inferred = self.modality


def modality_meant(word, have) -> str:
    """" (did you mean 'optical'?)" where ``word`` is another name of a modality among ``have`` (the model's stems;
    ``rgb``, ``radar``: ``tokens.MODALITY_WORDS``); "" otherwise (``thermal`` to a model without an ``ir`` stem)."""
    meant = MODALITY_WORDS.get(str(word).lower())
    return f" (did you mean {meant!r}?)" if meant in have else ""


@dataclass
class Pixels:
    tensor: torch.Tensor  # (C,S,S) normalised, S = encoder image size
    modality: str

    def pin_memory(self) -> Pixels:
        """Called by ``DataLoader(pin_memory=True)``, which pins only tensors and objects with this method."""
        return Pixels(self.tensor.pin_memory(), self.modality)


class Processor:
    def __init__(self, stems: dict[str, StemConfig], image_sizes: dict[str, int], n_tokens: dict[str, int],
                 tokenizer, image_token_id: int, template: str | None = None, prompt: PromptConfig | None = None):
        self.stems, self.image_sizes, self.n_tokens = stems, image_sizes, n_tokens
        self.prompt = prompt or PromptConfig()  # the model's prompt format (``VLMConfig.prompt``)
        self.tokenizer, self.image_token_id = tokenizer, image_token_id
        has_own = getattr(tokenizer, "chat_template", None) is not None
        self.template = None if (template is None and has_own) else get_template(template or "rsvlm")
        if self.prompt.answer_lead is not None:
            if self.template is None:
                raise ValueError("model.prompt.answer_lead needs a registry chat template (model.llm.chat_template); "
                                 "this tokenizer's own template writes its answers itself")
            self.template = {**self.template, "answer_lead": self.prompt.answer_lead}
        self.missing_bands = "error"  # how a band an image lacks is filled: stem.FILL_MODES ("copy" in the CLI)

    # -- images -------------------------------------------------------------------------------
    def prepare_image(self, image, fill: str | None = None, name: str = "image") -> Pixels:
        """Checked, resized, normalised pixels of any image ``image_args`` takes (an array, tensor, path, PIL
        image, RSImage, ImageInput), named ``name`` in errors where it has no name of its own; ``fill``
        overrides ``missing_bands`` for this image."""
        from rsvlm.model.image_args import as_image_input

        image = as_image_input(image, name)  # an array keeps its dtype: prepare refuses integer counts
        if isinstance(image, Pixels):
            return image
        cfg = self._stem(image)
        x = prepare(cfg, image.array, self.image_sizes[image.modality], image.bands, image.name,
                    fill or self.missing_bands, units=True)
        return Pixels(x, image.modality)

    def band_notes(self, image: ImageInput) -> list[str]:
        """What ``prepare_image`` will assume about this image's bands (aliases, stand-ins, fills);
        raises ValueError, naming the image, where its bands cannot feed the model."""
        if not hasattr(image.array, "shape"):  # ImageInput(path), a PIL image: read as prepare_image reads it
            from rsvlm.model.image_args import as_image_input

            image = as_image_input(image)
        n = image.array.shape[0] if image.array.ndim == 3 else 1
        check_channels_first(self._stem(image), tuple(image.array.shape), image.bands, image.name)
        return match_bands(self._stem(image), image.bands, n, image.name, self.missing_bands).notes

    def _stem(self, image: ImageInput) -> StemConfig:
        if image.modality not in self.stems:
            raise ValueError(f"{image.name}: no stem for modality {image.modality!r}"
                             f"{modality_meant(image.modality, self.stems)}; this model has {sorted(self.stems)}")
        return self.stems[image.modality]

    def n_visual_tokens(self, image: ImageInput | Pixels) -> int:
        if image.modality not in self.n_tokens:
            raise ValueError(f"no stem for modality {image.modality!r}; this model has {sorted(self.n_tokens)}")
        return self.n_tokens[image.modality]

    # -- text ---------------------------------------------------------------------------------
    def chat_prompt(self, messages: list[dict], add_generation_prompt: bool = True) -> str:
        """Render ``[{"role", "content"}]`` with the tokenizer's chat template or the registry's."""
        if self.template is None:
            return self.tokenizer.apply_chat_template(messages, tokenize=False,
                                                      add_generation_prompt=add_generation_prompt)
        return render(messages, self.template, add_generation_prompt=add_generation_prompt)

    @property
    def stop_strings(self) -> list[str]:
        return list(self.template["stop"]) if self.template else []

    def expand_image_tokens(self, ids: list[int], images: list) -> list[int]:
        """Replace the k-th ``<image>`` id by ``n_visual_tokens(images[k])`` copies of it."""
        n_slots = sum(1 for i in ids if i == self.image_token_id)
        if n_slots != len(images):
            raise ValueError(f"prompt has {counted(n_slots, IMAGE_TOKEN + ' placeholder')} but {counted(len(images), 'image')} "
                             f"{'was' if len(images) == 1 else 'were'} given")
        out, k = [], 0
        for i in ids:
            if i == self.image_token_id:
                out.extend([i] * self.n_visual_tokens(images[k]))
                k += 1
            else:
                out.append(i)
        return out

    def encode(self, text: str, images: list | None = None, add_special_tokens: bool = True) -> list[int]:
        ids = self.tokenizer(text, add_special_tokens=add_special_tokens)["input_ids"]
        return self.expand_image_tokens(ids, list(images or []))

    def __call__(self, text: str | list[str], images=None, padding_side: str = "left",
                 add_special_tokens: bool = True) -> dict:
        """→ ``{"input_ids": (B,T), "attention_mask": (B,T), "images": list[list[Pixels]]}``.

        ``images`` is an image or a list of images for one text, or a list of such lists for a batch.
        Padding is on the left by default (what generation needs); training may ask for "right".
        """
        if padding_side not in ("left", "right"):
            raise ValueError(f"padding_side must be 'left' or 'right', got {padding_side!r}")
        texts = [text] if isinstance(text, str) else list(text) if isinstance(text, (list, tuple)) else None
        if texts is None or (bad := [t for t in texts if not isinstance(t, str)]):  # None: "'NoneType' … not iterable"
            got = text if texts is None else bad[0]
            raise TypeError(f"the processor takes a prompt (a str) or a list of them, got {got!r:.60}: the text "
                            "processor.chat_prompt(messages) renders")
        if not texts:
            raise ValueError("no texts given (an empty batch)")
        from rsvlm.model.image_args import is_one_image

        if is_one_image(images):
            images = [images]  # one image for one text
        if images is None:
            images = [[] for _ in texts]
        elif isinstance(text, str):
            images = [list(images)]
        elif any(is_one_image(ims) for ims in images):
            raise ValueError("a batch of texts takes one list of images per text, e.g. [[image_a], [image_b]]")
        if len(images) != len(texts):
            raise ValueError(f"{counted(len(texts), 'text')} but {counted(len(images), 'image list')}")
        at = "images[{j}]" if isinstance(text, str) else "images[{i}][{j}]"  # the argument an error names
        from rsvlm.model.image_args import python_advice

        with python_advice():  # a band error's advice names bands= / modality=, not --bands (the CLI checked them)
            prepared = [[self.prepare_image(im, name=at.format(i=i, j=j)) for j, im in enumerate(ims)]
                        for i, ims in enumerate(images)]
        seqs = []
        for i, (t, ims) in enumerate(zip(texts, prepared)):
            try:
                seqs.append(self.encode(t, ims, add_special_tokens))
            except ValueError as e:
                raise ValueError(f"sample {i}: {e}") from e
        width = max(len(s) for s in seqs)
        pad = self.tokenizer.pad_token_id
        ids = torch.full((len(seqs), width), pad, dtype=torch.long)
        mask = torch.zeros((len(seqs), width), dtype=torch.long)
        for i, s in enumerate(seqs):
            sl = slice(width - len(s), width) if padding_side == "left" else slice(0, len(s))
            ids[i, sl] = torch.tensor(s, dtype=torch.long)
            mask[i, sl] = 1
        return {"input_ids": ids, "attention_mask": mask, "images": prepared}
