"""Vocabulary of the synthetic scenes: scene classes, object classes, materials, semantic palette.

Plain tuples and dicts; renderers index their lookup tables by the integer ids defined here.
"""

from __future__ import annotations

SCENE_CLASSES = (
    "airport", "harbour", "parking lot", "residential", "industrial",
    "farmland", "forest", "river", "lake", "bare land",
)

OBJECT_CLASSES = (
    "plane", "ship", "large vehicle", "small vehicle", "storage tank", "building", "swimming pool",
)

# Semantic map ids (masks/<scene>_sem.png). 0..4 are land cover, 5.. are object classes.
SEMANTIC_CLASSES = (
    "bare land", "low vegetation", "tree", "water", "pavement",
    "building", "plane", "ship", "large vehicle", "small vehicle", "storage tank", "swimming pool",
)
SEMANTIC_ID = {name: i for i, name in enumerate(SEMANTIC_CLASSES)}
# RGB palette for viewing the semantic map (docs/data.md); index = semantic id.
SEMANTIC_PALETTE = (
    (150, 120, 90), (140, 200, 90), (30, 110, 40), (40, 90, 200), (128, 128, 128),
    (220, 60, 60), (255, 255, 255), (255, 160, 0), (160, 40, 200), (255, 230, 0), (0, 220, 220), (0, 160, 255),
)

# Materials: what a pixel is made of. Each renderer maps material id -> its own quantity.
MATERIALS = (
    "soil", "sand", "grass", "crop_green", "crop_ripe", "tree", "water", "asphalt", "concrete",
    "roof_tile", "roof_metal", "paint", "plane_paint", "ship_deck", "tank_metal", "pool_water", "glass",
)
MAT = {name: i for i, name in enumerate(MATERIALS)}
# Land-cover semantic id of each material (object pixels are overwritten by their class).
MATERIAL_SEMANTIC = (
    0, 0, 1, 1, 1, 2, 3, 4, 4,
    5, 5, 9, 6, 7, 10, 11, 9,
)

MSI_BANDS = ("B02", "B03", "B04", "B08", "B11", "B12")  # blue, green, red, NIR, SWIR1, SWIR2
SAR_BANDS = ("VV", "VH")
IR_BANDS = ("TIR",)
OPTICAL_BANDS = ("R", "G", "B")
MODALITY_BANDS = {"optical": OPTICAL_BANDS, "msi": MSI_BANDS, "sar": SAR_BANDS, "ir": IR_BANDS}
MODALITY_EXT = {"optical": "png", "msi": "tif", "sar": "tif", "ir": "tif"}

VEHICLE_COLOURS = {
    "white": (235, 235, 232), "black": (30, 30, 34), "grey": (128, 130, 134), "red": (190, 35, 30),
    "blue": (35, 70, 170), "green": (40, 120, 60), "yellow": (225, 190, 40),
}
ROOF_COLOURS = {
    "red": (170, 70, 50), "brown": (120, 85, 60), "grey": (110, 110, 115), "white": (215, 215, 210),
    "blue": (70, 100, 150),
}
