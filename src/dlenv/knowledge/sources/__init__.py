"""Upstream listings -> knowledge rows: pure parsers, text in and rows out."""
