"""Question templates: at least five phrasings per task (and per VQA type).

Placeholders: {s} class singular, {pl} class plural, {a}/{b} plurals for comparisons,
{expr} a referring expression, {box} an encoded box, {lc} a land-cover name.
"""

from __future__ import annotations

from rsvlm.progress import plural as progress_plural

CLS = ["What type of scene is shown?", "Classify this scene.", "Which land-use class does this image belong to?",
       "What kind of place is this?", "Name the scene category.", "Give the scene class of this image."]
CAP = ["Describe the image.", "Write a short caption for this image.", "What does this image show?",
       "Give a brief description of the scene.", "Describe this scene in a few sentences.",
       "Summarise what is visible here."]
COUNT = ["How many {pl} are there?", "Count the {pl}.", "How many {pl} can you see?",
         "What is the number of {pl} in the image?", "Give the count of {pl}.", "Number of {pl} in this image?"]
COUNT_POINT = ["Point to each {s}, then count them.", "Mark every {s} with a point and give the count.",
               "Point at all the {pl}, then say how many there are.", "Count the {pl} by pointing at each one.",
               "Put a point on every {s}, then count them."]
DET_ALL = ["Detect all objects.", "Find every object in the image.", "Locate all objects.",
           "Detect every object and give its class.", "List all objects with their locations."]
# its last: rsvlm's prompt.det_class_question (--det-by-class) and the docs' "[det] Detect all ships." (build 19's model
# was trained without it)
DET_CLASS = ["Detect every {s}.", "Find all {pl}.", "Locate the {pl}.", "Where are the {pl}?",
             "Detect all {pl} in the image.", "Detect all {pl}."]
GROUND = ["Where is {expr}?", "Locate {expr}.", "Find {expr}.", "Give the box of {expr}.", "Show me {expr}.",
          "Point out {expr}."]
REGCAP_CLASS = ["What class is the object in {box}?", "What is in {box}?", "Name the object at {box}.",
                "Which object category is in {box}?", "What kind of object is inside {box}?"]
REGCAP_DESC = ["Describe the region {box}.", "Describe {box}.", "Tell me about the object in {box}.",
               "Write a short description of the object at {box}.", "What can you say about {box}?"]
SEG_CLASS = ["Segment the {pl}.", "Give the mask of all {pl}.", "Outline every {s}.", "Segment all {pl} in the image.",
             "Which pixels belong to {pl}?"]
SEG_REF = ["Segment {expr}.", "Outline {expr}.", "Give the mask of {expr}.", "Segment only {expr}.",
           "Mark the pixels of {expr}."]
SEG_LANDCOVER = ["Segment the {lc}.", "Give the mask of the {lc}.", "Outline the {lc}.",
                 "Which pixels are {lc}?", "Mark all {lc} in the image."]
CHANGE_CAPTION = ["What changed between the two images?", "Describe the changes.",
                  "What is different in the second image?", "Summarise the changes from the first to the second image.",
                  "Compare the two images and describe what changed."]
CHANGE_SEG = ["Segment the changed areas.", "Where did something change?", "Mark every change between the two images.",
              "Give the mask of changed objects.", "Outline what changed."]
OBB_SUFFIX = " Use oriented boxes."
POLY_SUFFIX = " Answer with polygons."
GRID_SUFFIX = " Answer with a grid mask."

VQA = {
    "presence": ["Is there a {s} in the image?", "Are there any {pl}?", "Does the image contain a {s}?",
                 "Can you see any {pl}?", "Is any {s} visible?"],
    "count": ["How many {pl} are there?", "What is the number of {pl}?", "How many {pl} are visible?",
              "How many {pl} can be seen?", "How many {pl} does the image contain?"],
    "comparison": ["Are there more {a} than {b}?", "Is the number of {a} larger than the number of {b}?",
                   "Are {a} more numerous than {b}?", "Does the image have more {a} than {b}?",
                   "Do {a} outnumber {b}?"],
    "position": ["Where is {expr} in the image?", "In which part of the image is {expr}?",
                 "Which part of the image contains {expr}?", "Where can {expr} be found?",
                 "What is the position of {expr}?"],
    "colour": ["What colour is {expr}?", "What is the colour of {expr}?", "Which colour does {expr} have?",
               "Tell me the colour of {expr}.", "Name the colour of {expr}."],
    "orientation": ["How is {expr} oriented?", "What is the orientation of {expr}?",
                    "Is {expr} horizontal, vertical or diagonal?", "Which way is {expr} aligned?",
                    "Give the orientation of {expr}."],
    "size": ["Is {expr} small, medium or large?", "How big is {expr}?", "What size is {expr}?",
             "How large is {expr} for its kind?", "Is {expr} small, medium or large for its kind?"],
    "modality": ["What sensor took this image?", "Which imaging modality is this?",
                 "What kind of sensor acquired this image?", "Is this an optical, SAR, infrared or multispectral image?",
                 "Which sensor type produced this picture?"],
}

SCENE_OPENINGS = ["An aerial view of {a_scene}.", "This is {a_scene}.", "A top-down image of {a_scene}.",
                  "The image shows {a_scene}.", "Overhead view of {a_scene}."]
SCENE_PHRASE = {"airport": "an airport", "harbour": "a harbour", "parking lot": "a parking lot",
                "residential": "a residential area", "industrial": "an industrial area", "farmland": "farmland",
                "forest": "a forest", "river": "a river", "lake": "a lake", "bare land": "bare land"}
NUMBER_WORDS = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]


def plural(cls: str) -> str:
    """``cls``'s plural as inference asks it (rsvlm.answering fills a det question's ``{pl}`` with the same rule):
    ``ships``, ``buses``, ``ferries`` (was ``cls + "s"``: a question learnt as "buss" was asked as "buses")."""
    return progress_plural(cls)


def count_phrase(n: int, cls: str) -> str:
    word = NUMBER_WORDS[n] if n < len(NUMBER_WORDS) else str(n)
    return f"{word} {cls if n == 1 else plural(cls)}"


def join_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
