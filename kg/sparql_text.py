"""Tokenise SPARQL text well enough to tell what a query asks for without running it.

SPARQL processes \\u and \\U escapes before parsing, so they are decoded first; then strings,
IRIs and comments are recognised as wholes, so that a keyword inside them is not taken for one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
               |'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][A-Za-z0-9_\u00B7-\uFFFF]+)
  | (?P<name>(?:[A-Za-z\u00C0-\uFFFF][\w\u00B7-\uFFFF.-]*)?
             :(?:[\w\u00B7-\uFFFF:%.\\-]*[\w\u00B7-\uFFFF:%\\-])?
             |[A-Za-z_][A-Za-z0-9_]*)
  | (?P<number>[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)
  | (?P<punct>\^\^|&&|\|\||<=|>=|!=|[{}()\[\].,;*+\-/<>=!|^@a?])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    """One lexical token: its kind and its text."""

    kind: str
    text: str
    start: int = 0  # offsets in the escape-decoded text
    end: int = 0

    def is_keyword(self, word: str) -> bool:
        return self.kind == "name" and self.text.upper() == word


def decode_escapes(text: str) -> str:
    """Replace \\uXXXX and \\UXXXXXXXX escapes by the characters they stand for."""
    return _ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)


def tokens(text: str) -> list[Token]:
    """Split SPARQL text into tokens, dropping white space and comments."""
    source = decode_escapes(text)
    found: list[Token] = []
    position = 0
    while position < len(source):
        match = _TOKEN.match(source, position)
        if match is None:
            found.append(Token("other", source[position], position, position + 1))
            position += 1
            continue
        kind = match.lastgroup or "other"
        if kind not in {"ws", "comment"}:
            found.append(Token(kind, match.group(), match.start(), match.end()))
        position = match.end()
    return found


@lru_cache(maxsize=1024)
def keywords(text: str) -> frozenset[str]:
    """Return the upper-cased bare words of text (keywords, function names, `a`)."""
    return frozenset(t.text.upper() for t in tokens(text) if t.kind == "name" and ":" not in t.text)


def has_dataset_clause(text: str) -> bool:
    """Tell whether a query names its own dataset with FROM or FROM NAMED."""
    return "FROM" in keywords(text)


@lru_cache(maxsize=1024)
def has_relative_iri(text: str) -> bool:
    """Tell whether a query holds an IRI without a scheme, which needs a base IRI."""
    return any(t.kind == "iri" and ":" not in t.text for t in tokens(text))


# Words that make an engine reach out over the network.
REMOTE_KEYWORDS = frozenset({"SERVICE", "LOAD"})
_MENTIONS_REMOTE = re.compile(r"service|load", re.IGNORECASE)


@lru_cache(maxsize=1024)
def remote_operations(text: str) -> tuple[str, ...]:
    """Return the operations of text that would fetch from the network (SERVICE, LOAD).

    The tokens decide; when the words appear only where the tokens say they are harmless
    (strings, comments, IRIs, prefixed names), a full SPARQL parser confirms it, so that a
    trick the tokeniser misreads cannot slip through.
    """
    decoded = decode_escapes(text)
    if not _MENTIONS_REMOTE.search(decoded):
        return ()
    found = sorted({t.text.upper() for t in tokens(text)
                    if t.kind == "name" and t.text.upper() in REMOTE_KEYWORDS})
    if found:
        return tuple(found)
    return _parsed_remote_operations(decoded)


def _parsed_remote_operations(text: str) -> tuple[str, ...]:
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate

    tree: object
    try:
        tree = parseQuery(text)
    except Exception:  # not a query: try it as an update, else refuse to guess
        try:
            tree = parseUpdate(text)
        except Exception:
            return ("UNCHECKABLE",)
    names = set()
    stack: list[object] = [tree]
    while stack:
        node = stack.pop()
        name = getattr(node, "name", None)
        if name == "ServiceGraphPattern":
            names.add("SERVICE")
        elif name == "Load":
            names.add("LOAD")
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list | tuple):
            stack.extend(node)
    return tuple(sorted(names))


def without_dataset_clauses(text: str) -> str:
    """Return the query (escapes decoded) without its FROM and FROM NAMED clauses.

    The SPARQL Protocol says a dataset given with the request replaces the query's own;
    servers that merge the two instead are sent the query without it.
    """
    source = decode_escapes(text)
    cuts: list[tuple[int, int]] = []
    found = tokens(source)
    for index, token in enumerate(found):
        if not token.is_keyword("FROM"):
            continue
        end = index + 1
        if end < len(found) and found[end].is_keyword("NAMED"):
            end += 1
        if end < len(found) and found[end].kind in {"iri", "name"}:
            cuts.append((token.start, found[end].end))
    for start, end in reversed(cuts):
        source = source[:start] + source[end:]
    return source
