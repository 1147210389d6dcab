"""Image input/output for remote sensing: readers, georeferencing, whole-scene tiling, overlays.

    from rsvlm.io import read_image, objects_to_geojson, run_tiled, draw_overlay, draw_pair_overlay

Importing this package loads numpy only; rasterio, shapely and PIL are imported on use.
"""

from rsvlm.io.band_evidence import infer_modality
from rsvlm.io.georef import (
    map_coords,
    map_to_pixel,
    mask_array,
    objects_to_geojson,
    objects_with_map_coords,
    pixel_to_map,
)
from rsvlm.io.large import SceneTooLarge
from rsvlm.io.read import ImageReadError, RSImage, SceneReader, image_size, read_image, read_window
from rsvlm.io.scaling import ReadConfig
from rsvlm.io.tiles import TileMerger, iter_windows, merge_tile_objects, run_tiled
from rsvlm.io.vis import draw_overlay, draw_pair_overlay, to_display_rgb

__all__ = [
    "RSImage", "ReadConfig", "SceneReader", "ImageReadError", "SceneTooLarge", "read_image", "read_window", "image_size",
    "infer_modality", "pixel_to_map", "map_to_pixel", "objects_to_geojson", "objects_with_map_coords",
    "map_coords", "mask_array", "iter_windows",
    "merge_tile_objects", "TileMerger", "run_tiled", "draw_overlay", "draw_pair_overlay",
    "to_display_rgb",
]
