"""Parts of bench/tiling.py kept out of its 500 lines (a package, not a benchmark: no other script imports it)."""
