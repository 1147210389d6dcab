"""rsvlm train's argument words: a recipe after an empty or "-" word is still read as the recipe."""
from rsvlm.train.flags import recipe_words


def test_a_recipe_after_an_empty_or_dash_word_is_still_the_recipe():
    """"" and "-" are prefixes of "--config": recipe_words took the .yaml after them as their value, so the
    recipe went unread ("required: --config") or was handed to argparse as a stray word."""
    assert recipe_words(["", "x.yaml"]) == ["", "--config", "x.yaml"]
    assert recipe_words(["-", "x.yaml", "max_steps=3"]) == ["-", "--config", "x.yaml", "max_steps=3"]
    assert recipe_words(["--conf", "x.yaml"]) == ["--conf", "x.yaml"]  # a --conf slip keeps its value
    assert recipe_words(["--config", "x.yaml"]) == ["--config", "x.yaml"]
