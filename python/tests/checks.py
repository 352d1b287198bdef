"""Checks shared by the figure tests."""

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def assert_png(path, min_bytes=20_000):
    """``path`` is a PNG file of more than ``min_bytes`` bytes (a figure with something drawn)."""
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    assert len(data) > min_bytes
