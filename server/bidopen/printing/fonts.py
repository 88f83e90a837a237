"""Finding a font with Chinese glyphs for the printed documents; none found is a clear refusal."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fontTools.ttLib import TTCollection

# Where Debian's packages put CJK fonts, best first: fonts-noto-cjk (what scripts/start.sh
# and scripts/test.sh install), then other packages an operator may already have.
KNOWN_FONTS: tuple[tuple[str, str | None], ...] = (
    (
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    ),
    (
        "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
        "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc",
    ),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", None),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", None),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", None),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", None),
)
_COLLECTIONS = (".ttc", ".otc")
_FONT_FILES = (".ttf", ".otf", *_COLLECTIONS)


class FontMissing(Exception):
    """No font with Chinese glyphs could be found or read; the message says where it looked."""


@dataclass(frozen=True)
class FontFace:
    """One face of a font file (`index` within a collection, 0 otherwise)."""

    path: Path
    index: int = 0


@dataclass(frozen=True)
class CjkFont:
    regular: FontFace
    bold: FontFace  # the regular face again where the family has no bold file


def _face(path: Path) -> FontFace:
    """The simplified-Chinese face of a collection (`… SC`), else its first face."""
    if path.suffix.lower() not in _COLLECTIONS:
        return FontFace(path)
    collection = TTCollection(str(path), lazy=True)
    try:
        for index, font in enumerate(collection.fonts):
            family = font["name"].getDebugName(1) or ""
            if family.endswith(" SC"):
                return FontFace(path, index)
    finally:
        collection.close()
    return FontFace(path, 0)


def find_cjk_font(configured: str = "") -> CjkFont:
    """The `pdf_font` setting's file when given, else the first known font installed."""
    if configured:
        path = Path(configured)
        if path.suffix.lower() not in _FONT_FILES or not path.is_file():
            raise FontMissing(
                f"pdf_font {configured!r} is not a readable .ttf, .otf or .ttc font file"
            )
        candidates: tuple[tuple[str, str | None], ...] = ((configured, None),)
    else:
        candidates = KNOWN_FONTS
    for regular, bold in candidates:
        if not Path(regular).is_file():
            continue
        try:
            face = _face(Path(regular))
            bold_face = _face(Path(bold)) if bold and Path(bold).is_file() else face
        except Exception as exc:  # fontTools raises many kinds on a damaged file
            raise FontMissing(f"font {regular} cannot be read: {exc}") from exc
        return CjkFont(face, bold_face)
    raise FontMissing(
        "no font with Chinese glyphs is installed: install Debian's fonts-noto-cjk "
        "(scripts/start.sh does) or set BIDOPEN_PDF_FONT to a .ttf, .otf or .ttc file"
    )
