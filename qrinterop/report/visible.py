"""Text from an SUT, shown as what it is.

An institution's name, an ICS string or a message field is the SUT's to choose, and some
characters change how the text *around* them looks without being seen themselves: a
right-to-left override (U+202E) makes ``Bank ‮AC`` read backwards, an escape byte moves the
terminal's cursor, a zero-width joiner hides between two letters. A report a regulator reads
must not show one name while saying another, so every page and every terminal line shows such
characters as ``<U+202E>``. The documents (report.json, transcripts) keep them as sent: they
are the evidence.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

#: Unicode categories that are invisible or move text: format characters (bidirectional
#: controls, zero-width joiners, the BOM), controls, line and paragraph separators, and lone
#: surrogates (which no page or terminal can even encode).
HIDDEN_CATEGORIES = ("Cf", "Cc", "Zl", "Zp", "Cs")
#: Controls that lay out text as the reader expects: pretty-printed messages keep their lines.
LAYOUT = "\t\n"


#: Where Unicode puts such characters: the basic and supplementary multilingual planes and the
#: tags plane (U+E0001...). The other planes hold none, and scanning them would cost 0.3 s.
PLANES = (range(0, 0x20000), range(0xE0000, 0xE1000))


@cache
def _hidden() -> re.Pattern[str]:
    """One character class of every hidden code point, built once from the Unicode database
    Python ships, so that a control added by a later Unicode is covered too."""
    ranges: list[list[int]] = []
    for code in (c for plane in PLANES for c in plane):
        if unicodedata.category(chr(code)) in HIDDEN_CATEGORIES and chr(code) not in LAYOUT:
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    return re.compile("[" + "".join(f"\\U{low:08x}-\\U{high:08x}" for low, high in ranges)
                      + "]")


def visible(text: str, mark: str = "<U+{:04X}>") -> str:
    """``text`` with each invisible or text-moving character written as ``<U+XXXX>``."""
    if text.isprintable():      # no Other and no Separator but the space: nothing hidden
        return text
    return _hidden().sub(lambda m: mark.format(ord(m.group())), text)



def one_line(text: str) -> str:
    """``text`` made :func:`visible` and kept to one line: where each line of output is a
    verdict (``verify``), a newline in a file name the sender chose must not forge another."""
    return re.sub(f"[{LAYOUT}]", lambda m: f"<U+{ord(m.group()):04X}>", visible(text))
