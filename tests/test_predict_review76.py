"""Review 76 (predict): the count warning's synonyms are keyed by the model's own classes, so a model with other
class names is offered no class a word does not mean (a military model's "tank" for "storage tanks")."""

from __future__ import annotations

from rsvlm.predict_question import CLASS_WORDS, closest_class, count_note

DOTA = ["plane", "ship", "large vehicle", "small vehicle", "storage tank", "building", "swimming pool"]
ARMOUR = ["tank", "truck", "armoured personnel carrier"]


def test_a_class_the_table_does_not_key_is_offered_for_none_of_its_words():
    note = count_note("[count] How many silos are there?", ARMOUR, default=False)
    assert "nearest" not in note and "ask one, e.g." in note, note  # was: 'silos' is nearest its tanks
    assert "tank" not in CLASS_WORDS  # an armoured "tank" is no storage tank
    assert closest_class("[count] how many buses are there?", ARMOUR) == ("buses", None)  # was: its trucks
    assert closest_class("[count] how many cars are there?", ["van", "truck"]) == ("cars", None)  # was: its vans
    assert closest_class("[count] how many lorries are there?", ARMOUR) == ("lorries", "truck")


def test_the_word_said_first_is_the_one_counted():
    assert closest_class("[count] how many cars are near the boats?", DOTA) == ("cars", "small vehicle")
    assert closest_class("[count] how many oil tanks are there?", DOTA) == ("oil tanks", "storage tank")
    assert closest_class("[count] how many cars are there?", ["airplane", "vehicle"]) == ("cars", "vehicle")  # DIOR
