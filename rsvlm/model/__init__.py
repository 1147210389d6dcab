"""The rsvlm model: stems, vision encoders, projectors, LLM, generation, chat sessions, checkpoints.

    from rsvlm.model import create_model, load_pretrained, VLMConfig
    model, processor = create_model(cfg)
"""

from rsvlm.model.checkpoint import load_pretrained, save_pretrained
from rsvlm.model.convert_llava import convert_llava
from rsvlm.model.factory import create_model
from rsvlm.model.llm import LLMConfig
from rsvlm.model.merge import merge_lora
from rsvlm.model.processor import ImageInput, Pixels, Processor
from rsvlm.model.projector import ProjectorConfig
from rsvlm.model.session import ChatSession
from rsvlm.model.stem import StemConfig
from rsvlm.model.templates import TEMPLATES, render
from rsvlm.model.vision import VisionConfig
from rsvlm.model.vlm import RSVLM, TrainableConfig, VLMConfig

__all__ = ["create_model", "load_pretrained", "save_pretrained", "merge_lora", "convert_llava", "ChatSession",
           "RSVLM", "VLMConfig", "VisionConfig", "StemConfig", "ProjectorConfig", "LLMConfig", "TrainableConfig",
           "Processor", "ImageInput", "Pixels", "TEMPLATES", "render"]
