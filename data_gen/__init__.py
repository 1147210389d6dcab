"""Instruction data for rsvlm: synthetic multi-modal scenes, converters for real datasets."""
