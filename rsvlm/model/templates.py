"""Fixed chat prompt formats for LLMs without a chat template of their own (plain dict registry).

A template is a dict of strings: ``system`` (text of the default system prompt), ``system_prefix``,
``system_suffix``, ``user_prefix``, ``user_suffix``, ``assistant_prefix``, ``assistant_suffix``,
``answer_lead`` (put between the assistant prefix and the answer text, e.g. LLaVA's space), and
``stop`` (strings that end an answer). ``render`` concatenates turns, so rendering a longer
conversation only appends text; that is what lets a chat session prefill just the new turn.

    text = render([{"role": "user", "content": "<image>\\n[cls] What is this?"}], TEMPLATES["rsvlm"],
                  add_generation_prompt=True)
"""

from __future__ import annotations

TEMPLATES: dict[str, dict] = {
    # rsvlm's own format, used by models trained here from a base LLM without a chat template
    "rsvlm": {
        "system": "You are a remote sensing assistant. You answer questions about the given images.",
        "system_prefix": "<|system|>\n", "system_suffix": "\n",
        "user_prefix": "<|user|>\n", "user_suffix": "\n",
        "assistant_prefix": "<|assistant|>\n", "assistant_suffix": "<|end|>\n",
        "answer_lead": "", "stop": ["<|end|>"],
    },
    # LLaVA-1.5 / GeoChat "v1" conversation format (vicuna_v1): "USER: q ASSISTANT: a</s>"
    "llava_v1": {
        "system": "A chat between a curious human and an artificial intelligence assistant. "
                  "The assistant gives helpful, detailed, and polite answers to the human's questions.",
        "system_prefix": "", "system_suffix": " ",
        "user_prefix": "USER: ", "user_suffix": " ",
        "assistant_prefix": "ASSISTANT:", "assistant_suffix": "</s>",
        "answer_lead": " ", "stop": ["</s>"],
    },
    # no roles at all: captioning-style pretraining ("<image>\ncaption")
    "plain": {
        "system": "", "system_prefix": "", "system_suffix": "",
        "user_prefix": "", "user_suffix": "\n", "assistant_prefix": "", "assistant_suffix": "\n",
        "answer_lead": "", "stop": ["\n"],
    },
}


def get_template(name: str) -> dict:
    if name not in TEMPLATES:
        raise ValueError(f"unknown chat template {name!r}; known: {sorted(TEMPLATES)}")
    return TEMPLATES[name]


def render(messages: list[dict], template: dict | str, add_generation_prompt: bool = False) -> str:
    """Messages ``[{"role": "system"|"user"|"assistant", "content": str}]`` → prompt text.

    Without a leading system message the template's default ``system`` is used (if non-empty).
    With ``add_generation_prompt`` the text ends with the assistant prefix (not the answer lead:
    LLaVA's prompt ends in "ASSISTANT:" and the model itself writes the space).
    """
    t = get_template(template) if isinstance(template, str) else template
    for i, m in enumerate(messages):  # a KeyError 'role' or str + None named no message
        if not isinstance(m, dict) or not isinstance(m.get("role"), str) or not isinstance(m.get("content"), str):
            raise ValueError(f"message {i}: must be {{'role': str, 'content': str}}, got {m!r:.120}")
    out = []
    first = 1 if messages and messages[0]["role"] == "system" else 0  # i below counts the caller's messages
    system = messages[0]["content"] if first else t["system"]
    if system:
        out.append(t["system_prefix"] + system + t["system_suffix"])
    for i, m in enumerate(messages[first:], first):
        role, content = m["role"], m["content"]
        if role == "user":
            out.append(t["user_prefix"] + content + t["user_suffix"])
        elif role == "assistant":
            out.append(t["assistant_prefix"] + t["answer_lead"] + content + t["assistant_suffix"])
        else:
            raise ValueError(f"message {i}: role must be user or assistant after an optional system, got {role!r}")
    if add_generation_prompt:
        out.append(t["assistant_prefix"])
    return "".join(out)
