"""Procedural multi-modal remote-sensing scenes (optical, msi, sar, ir) with full ground truth.

    graph = generate_scene("s0", np.random.default_rng(0), size=128, pair=True)
    layers = rasterise(graph.frames[0], 128, rng)
    sar = render_modality(layers, "sar", rng)

``python -m data_gen synth`` (``data_gen.synth.run``) writes whole data sets with records.
"""

from data_gen.synth.render import Layers, rasterise, render_modality
from data_gen.synth.scene import Frame, SceneGraph, generate_scene

__all__ = ["Frame", "Layers", "SceneGraph", "generate_scene", "rasterise", "render_modality"]
