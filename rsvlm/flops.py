"""Model FLOPs of one training step (``train_flops``): the MFU numerator of bench/gpu_train.py, and the
encoder layout (``encoder_parts``) scripts/memory_plan.py plans activations with. Works on a meta-device
model; torch is imported on use."""

from __future__ import annotations


def encoder_parts(enc) -> tuple[list, list]:
    """(patch-embedding weights, the blocks run) of an open_clip or hf_clip encoder."""
    if hasattr(enc, "visual"):
        return [enc.visual.conv1.weight], list(enc.visual.transformer.resblocks[: enc.n_blocks])
    vm = getattr(enc.model, "vision_model", enc.model)  # transformers 5 dropped the wrapper
    return [vm.embeddings.patch_embedding.weight], list(vm.encoder.layers[: enc.n_blocks])


def matrix_weights(module) -> tuple[int, int]:
    """(numel, trainable numel) of the matrices of ``module`` (ndim ≥ 2; LoRA adapters excluded)."""
    ws = [(n, p) for n, p in module.named_parameters() if p.ndim >= 2 and "lora_" not in n
          and "positional_embedding" not in n and "position_embedding" not in n]
    return sum(p.numel() for _, p in ws), sum(p.numel() for _, p in ws if p.requires_grad)


def train_flops(model, seq_len: int, answer_len: int, images: int = 1, modality: str | None = None) -> dict:
    """Model FLOPs of one sample's training step: forward plus backward, without recomputation.

    ``seq_len`` tokens (visual included) pass the LLM; the LM head runs on the ``answer_len`` kept
    positions (the loop's ``logits_to_keep``). Counted as torch's FlopCounterMode counts: 2 FLOPs per
    multiply-add of every matrix product and convolution; attention's score and value products over
    the full s² square (causal masking not discounted), forward plus a backward of twice that.
    Backward costs one forward for the input gradients where a gradient must flow, and one more for
    the weight gradients of trainable matrices (LoRA adapters and trainable token rows included).
    Frozen encoders run forward only. Works on a meta-device model. Limits: one encoder (the first
    stem's) for all ``images``; encoder LoRA adapters, stems, norms and the loss are not counted.
    """
    from torch import nn

    modality = modality or next(iter(model.cfg.stems))
    stem = model.stems[modality]
    enc = model.encoders[model.cfg.stems[modality].encoder]
    proj = model.projectors[model.cfg.stems[modality].encoder]
    grid = enc.image_size // enc.patch_size
    n_seq, n_out = grid * grid + 1, model.n_visual_tokens(modality)
    stem_grad = any(p.requires_grad for p in stem.parameters())
    enc_grad = any(p.requires_grad for p in enc.parameters())

    conv, blocks = encoder_parts(enc)
    conv_w = sum(w.numel() for w in conv)
    blk_w, blk_t = (sum(x) for x in zip(*(matrix_weights(b) for b in blocks), (0, 0)))
    vis_f = 2 * conv_w * (n_seq - 1) + 2 * blk_w * n_seq
    vis_att = 4 * len(blocks) * n_seq**2 * enc.width  # forward; backward twice that
    vis_b = 0
    if stem_grad or enc_grad:  # a gradient flows into the encoder: input gradients of every block
        vis_b = 2 * blk_w * n_seq + 2 * blk_t * n_seq
        vis_att *= 3
        vis_b += 2 * conv_w * (n_seq - 1) * (int(conv[0].requires_grad) + int(stem_grad))
    lin = [m for m in proj.modules() if isinstance(m, nn.Linear)]
    proj_f = sum(2 * m.weight.numel() * n_out for m in lin)
    proj_b = sum(2 * m.weight.numel() * n_out * (int(m.weight.requires_grad) + int(k > 0 or stem_grad or enc_grad))
                 for k, m in enumerate(lin))

    llm = model.llm
    text = llm.config.get_text_config()
    layers = next(m for m in llm.modules() if isinstance(m, nn.ModuleList))
    lay_w, lay_t = matrix_weights(layers)
    lora = sum(p.numel() for n, p in layers.named_parameters() if "lora_" in n)
    head = llm.get_output_embeddings()
    head_w = head.weight.numel()
    head_t = head.weight.requires_grad or any(p.requires_grad for p in head.parameters())
    h, L, s, a = text.hidden_size, text.num_hidden_layers, seq_len, answer_len
    hd = text.num_attention_heads * (getattr(text, "head_dim", None) or h // text.num_attention_heads)  # q·k width
    llm_f = 2 * lay_w * s + 2 * lora * s + 2 * head_w * a
    llm_b = 2 * lay_w * s + 4 * lora * s + 2 * head_w * a + 2 * lay_t * s + (2 * head_w * a if head_t else 0)
    out = {"vision": images * (vis_f + vis_b), "projector": images * (proj_f + proj_b), "llm": llm_f + llm_b,
           "attention": images * vis_att + 3 * 4 * L * s * s * hd}  # score and value products, fwd + bwd
    out["total"] = sum(out.values())
    return out
