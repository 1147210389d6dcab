"""rsvlm: a vision-language assistant for remote sensing.

Submodules are imported on use (``from rsvlm import geometry``); importing the package itself
loads nothing heavy.
"""

__version__ = "0.1.0"
