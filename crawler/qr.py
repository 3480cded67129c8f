"""A QR code from a screenshot, printed in the terminal as Unicode half blocks.

The login page shows its QR code as a picture; without a display markwatch saves that picture as a PNG
and prints it here so the phone app can scan it over SSH. The code is not decoded: its modules are
read off the picture (size from the top-left finder pattern, seven modules wide) and drawn two rows
per line, light modules as ``█`` (as ``qrencode -t UTF8`` does, for a dark terminal).
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image


def modules(png: Path | Image.Image) -> list[list[bool]] | None:
    """The QR matrix (True = dark) read off a picture of one QR code, or None when it is not one."""
    image = png if isinstance(png, Image.Image) else Image.open(png)
    gray = image.convert("L")
    dark = gray.point(lambda v: 255 if v < 128 else 0)
    box = dark.getbbox()
    if box is None:
        return None
    left, top, right, bottom = box
    width, height = right - left, bottom - top
    if width < 21 or abs(width - height) > max(2, width // 20):
        return None
    pixels = gray.load()
    assert pixels is not None
    run = 0
    while run < width and _is_dark(pixels[left + run, top]):
        run += 1
    module = run / 7
    if module < 1:
        return None
    count = round(width / module)
    # a QR code is 21, 25, …, 177 modules wide
    count = min(range(21, 178, 4), key=lambda n: abs(n - count))
    module = width / count
    if abs(run / module - 7) > 1.0:
        return None
    matrix = [
        [
            _is_dark(pixels[int(left + (x + 0.5) * module), int(top + (y + 0.5) * module)])
            for x in range(count)
        ]
        for y in range(count)
    ]
    corners = ((0, 0), (count - 7, 0), (0, count - 7))
    return matrix if all(_finder(matrix, ox, oy) for ox, oy in corners) else None


def _finder(matrix: list[list[bool]], ox: int, oy: int) -> bool:
    """A QR finder pattern at (ox, oy): a dark 7x7 ring, a light ring, a dark 3x3 core."""
    for y in range(7):
        for x in range(7):
            ring = x in (0, 6) or y in (0, 6)
            core = 2 <= x <= 4 and 2 <= y <= 4
            if matrix[oy + y][ox + x] != (ring or core):
                return False
    return True


def _is_dark(value: object) -> bool:
    return isinstance(value, int | float) and value < 128


def render(matrix: list[list[bool]], quiet: int = 2) -> str:
    """Two module rows per line: ``█`` both light, ``▀`` top light, ``▄`` bottom light, space both dark."""
    n = len(matrix)
    size = n + 2 * quiet

    def light(x: int, y: int) -> bool:
        xi, yi = x - quiet, y - quiet
        return not (0 <= xi < n and 0 <= yi < n and matrix[yi][xi])

    lines = []
    for y in range(0, size, 2):
        row = []
        for x in range(size):
            top, bottom = light(x, y), (light(x, y + 1) if y + 1 < size else True)
            row.append("█" if top and bottom else "▀" if top else "▄" if bottom else " ")
        lines.append("".join(row))
    return "\n".join(lines)


def terminal_qr(png: Path) -> str | None:
    """The QR code in ``png`` as terminal text, or None when the picture is not a clean QR code."""
    try:
        matrix = modules(png)
    except OSError:
        return None
    return render(matrix) if matrix else None
