"""Drawing conventions shared by the figures."""
from __future__ import annotations


def colours(values) -> dict:
    """value → matplotlib colour of the default cycle (C0 … C9, then again), in the order given."""
    return {v: f"C{i % 10}" for i, v in enumerate(values)}
