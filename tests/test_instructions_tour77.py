"""Tour 77 of the instruction builder's options."""

from data_gen.instructions.config import InstructionConfig, weights_problem


def test_a_modality_weight_under_another_name_says_which_modality_it_is():
    """``modality_weights: {rgb: 1}`` said only "unknown modality"; synth's ``--modalities rgb`` said "'rgb' is optical"."""
    why, keys = weights_problem(InstructionConfig(modality_weights={"rgb": 1.0, "sarr": 1.0}))
    assert why == ("modality_weights: unknown modalities ['rgb', 'sarr']; one of optical, msi, sar, ir; 'rgb' is optical "
                   "here; did you mean 'sar' for 'sarr'?")
    assert keys == ("modality_weights.rgb", "modality_weights.sarr")


def test_a_task_weight_of_a_misspelt_task_names_the_task_meant():
    why, keys = weights_problem(InstructionConfig(task_weights={"detx": 1.0, "ground": 1.0}))
    assert why.endswith("did you mean 'det' for 'detx'?") and keys == ("task_weights.detx",)
