"""Config errors (stop 59)."""

from dataclasses import dataclass

import pytest

from rsvlm.config import ConfigError, from_dict


@dataclass
class Extra:
    path: str = ""
    weight: float = 1.0


def test_an_unknown_key_that_is_a_key_and_value_without_a_space_says_yaml_needs_one():
    """``{path:/x}`` in flow YAML is one key, ``path:/x``; the unknown-key error listed it but gave
    no hint, where a None value (``{path:}``) got "YAML needs a space after the colon"."""
    with pytest.raises(ConfigError) as e:
        from_dict(Extra, {"path:/x": None}, "data.extra[0]")
    assert "unknown key data.extra[0].path:/x" in str(e.value)
    assert "YAML needs a space after the colon: {path: /x}" in str(e.value)


def test_an_unknown_key_with_a_colon_that_names_no_field_gets_no_space_hint():
    with pytest.raises(ConfigError) as e:
        from_dict(Extra, {"http://x": 1})
    assert "space after the colon" not in str(e.value)
