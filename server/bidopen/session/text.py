"""Text that people type: NFC, no invisible or direction-changing characters, look-alike keys.

Names and free text are shown to other parties (on the big screen, in the record), so a
character that cannot be seen, or that reorders the text around it, is a way to deceive:
a right-to-left override (U+202E) reverses the hub's own text after a name, a zero-width
space makes a second name that looks like a real bidder's. Such characters are refused,
not stripped, so what is stored is exactly what was sent (after NFC).
"""

import unicodedata

# Categories that never belong in a name or a sentence: controls, format characters (the
# bidi embeddings, overrides and isolates, LRM/RLM, zero-width space and joiners, BOM,
# soft hyphen, tags), surrogates, private use, unassigned, line and paragraph separators.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
# Letters that draw as nothing (Hangul fillers, Braille blank) and the variation selectors.
_INVISIBLE = frozenset(
    {0x115F, 0x1160, 0x3164, 0xFFA0, 0x2800, 0x180E}
    | set(range(0xFE00, 0xFE10))
    | set(range(0xE0100, 0xE01F0))
)
# Letters of other scripts that draw like Latin ones; enough of them to stop a name being
# copied with one letter swapped (the full Unicode confusables table is larger).
_CONFUSABLES = str.maketrans(
    {
        "а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
        "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ј": "j", "ԁ": "d",
        "ԛ": "q", "ԝ": "w", "ӏ": "l", "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k",
        "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ı": "i", "ℓ": "l",
        "0": "o", "1": "l", "〇": "o", "○": "o", "◯": "o", "丨": "l", "一": "-",
        "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "―": "-", "−": "-", "ー": "-",
        "·": ".", "・": ".", "•": ".", "。": ".",
    }
)  # fmt: skip


def refused_character(text: str, *, multiline: bool = False) -> str | None:
    """The first character `text` may not hold, as `U+XXXX`; None when it is clean.

    `multiline` lets a line feed through (objections and answers have paragraphs).
    """
    for ch in text:
        if multiline and ch == "\n":
            continue
        code = ord(ch)
        if code in _INVISIBLE or unicodedata.category(ch) in _REFUSED_CATEGORIES:
            return f"U+{code:04X}"
    return None


def normalise(text: str) -> str:
    """NFC, with the line breaks of any platform as one line feed."""
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))


def look_alike_key(name: str) -> str:
    """One key for names that look the same: width, case, spacing, homoglyphs folded away."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    folded = "".join(ch for ch in folded if not ch.isspace() and refused_character(ch) is None)
    # NFKD and no marks: "é" and "e" draw alike at a glance on a big screen.
    bare = "".join(
        ch for ch in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(ch)
    )
    return bare.translate(_CONFUSABLES)
