"""Instruction records from synthetic scene ground truth: every task tag, phrasings, splits, stats."""
