"""Name the lone surrogates in a body the engine refused to parse.

A surrogate (U+D800 to U+DFFF) is no Unicode character: Oxigraph's parsers refuse one however
it is spelled, an escape in Turtle, N-Triples, N-Quads, TriG, N3 or SPARQL (`\\uD800`, even in
pairs: these escapes name code points), an unpaired escape in JSON (`"\\uD800"`), a character
reference in XML (`&#xD800;`) or its bytes in UTF-8 (ED A0 80, which UTF-8 forbids). Their
messages do not always say so (JSON-LD reports an unexpected end of file), so an answer names
the first one found. Only a refused body is looked at: a match inside a comment, say, never
refuses a body the engine takes.
"""

from __future__ import annotations

import re
from typing import IO

# By syntax: how a surrogate is spelled where the engine refuses it.
_SPELLINGS = {
    "text": re.compile(rb"\\(?:u|U0000)([dD][89a-fA-F][0-9a-fA-F]{2})"),
    "json": re.compile(rb"(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u([dD][c-fC-F][0-9a-fA-F]{2})"
                       rb"|\\u([dD][89abAB][0-9a-fA-F]{2})(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"),
    "xml": re.compile(rb"&#(?:[xX]0*([dD][89a-fA-F][0-9a-fA-F]{2})|0*(5[5-7]\d{3}));"),
}
_RAW = re.compile(rb"\xed[\xa0-\xbf][\x80-\xbf]")
# Bytes longer than any spelling above (with the escape before it, in JSON).
OVERLAP = 32


def lone_surrogate_in(stream: IO[bytes], syntax: str, piece: int = 1 << 20) -> str | None:
    """Describe the first surrogate in a stream read a piece at a time, or None."""
    lines, tail = 0, b""
    while data := stream.read(piece):
        # The piece begins with the end of the last one: a spelling may straddle the two.
        found = lone_surrogate(tail + data, syntax, lines - tail.count(b"\n"))
        if found is not None:
            return found
        lines += data.count(b"\n")
        tail = data[-OVERLAP:]
    return None


def lone_surrogate(body: bytes, syntax: str, lines: int = 0) -> str | None:
    """Describe the first surrogate in body (syntax: text, json or xml), or None; lines:
    the lines before body, in the text it was cut from."""
    raw = _RAW.search(body)
    spelled = _SPELLINGS[syntax].search(body)
    if spelled is not None and (raw is None or spelled.start() < raw.start()):
        code = next(group for group in spelled.groups() if group is not None)
        # Only XML's second spelling is decimal (&#55296;).
        value = int(code, 10 if syntax == "xml" and spelled.group(1) is None else 16)
        if 0xD800 <= value <= 0xDFFF:
            line = lines + _line(body, spelled.start())
            return (f"{spelled.group(0).decode('ascii')} at line {line} "
                    f"is a lone surrogate (U+{value:04X}), which is no Unicode character")
    if raw is not None:
        line = lines + _line(body, raw.start())
        return (f"the bytes {raw.group(0).hex(' ').upper()} at line {line} "
                "encode a lone surrogate, which UTF-8 forbids")
    return None


def _line(body: bytes, offset: int) -> int:
    return body.count(b"\n", 0, offset) + 1
