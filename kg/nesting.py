"""Bound how deeply and how widely a text nests before any parser reads it.

Parsers recurse on nesting; and Oxigraph's query parser takes time quadratic in the length
of one chain of operators (`1+1+…+1`, `{} UNION {} UNION …`), so that a 40 kB query costs
seconds before it is evaluated.

Oxigraph's SPARQL and JSON-LD parsers recurse once per level of nesting, and a few thousand
levels overflow a thread's stack, which kills the whole process. The depth is measured here
by a reading that never finds less nesting than the parser does: brackets inside strings and
comments are ignored only where every reading agrees that they are inside one, and an
opening bracket that might be code (inside an IRI) counts even so. `<<` counts as an opening
bracket even where it might be two comparisons.
"""

from __future__ import annotations

import re
from itertools import accumulate

# Deeper than anything written by hand or by the usual tools; far below what overflows.
MAX_DEPTH = 100

# Oxigraph's query parser takes time exponential in the nesting of reified triple patterns
# (<< ... >>): 25 levels parse in 10 ms, 60 in 0.2 s, 100 in 4 s. Each counts as this many.
QUOTED_WEIGHT = 4

# SPARQL, Turtle, TriG, N3 and N-Triples share their strings, comments and IRIs. Strings
# run to their closing quote, newlines included, and an unclosed one to the end of the text;
# a comment runs to the end of its line; a backslash takes the next character with it.
_SPARQL = re.compile(
    r"""
    (?P<skip>'''(?:[^'\\]|\\.|'(?!''))*(?:'''|\Z)
           |\"\"\"(?:[^"\\]|\\.|"(?!""))*(?:\"\"\"|\Z)
           |'(?:[^'\\]|\\.)*(?:'|\Z)
           |"(?:[^"\\]|\\.)*(?:"|\Z)
           |\#[^\n\r]*
           |\\.
           |\^\^)
  | (?P<iri><[^<>"{}|^`\x00-\x20]*>)
  | (?P<open><<\(|[{(\[])
  | (?P<close>\)>>|[})\]])
  | (?P<quote_open><<)
  | (?P<quote_close>>>)
    """,
    re.VERBOSE | re.DOTALL,
)
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*+(?:"|\Z)', re.DOTALL)
_NOT_BRACKET = bytes(c for c in range(256) if c not in b"[]{}")
_STEP = bytes.maketrans(b"[{]}", b"\x01\x01\x02\x02")
# The rest of a start or end tag, quoted attribute values whole, without backtracking.
_TAG_END = re.compile(rb"""(?:[^>"']++|"[^"]*+"|'[^']*+')*+>""")
# Markup that holds no elements, and what ends it.
_OPAQUE = ((b"<!--", b"-->"), (b"<![CDATA[", b"]]>"), (b"<?", b"?>"))


class TooDeep(ValueError):
    """The text nests deeper than a parser may be asked to follow."""

    def __init__(self, what: str, limit: int) -> None:
        super().__init__(f"the {what} nests deeper than {limit} levels (brackets, braces, "
                         "blank nodes or elements); flatten it")


# Operators and commas directly inside one pair of parentheses (a nested pair counts one):
# what one expression, argument list or IN list may hold. Longer lists of values are
# written as VALUES blocks, which have no such bound.
MAX_TERMS = 1000
# The sum of their squares over the whole text: a few expressions as long as allowed, or
# many short ones. At these limits Oxigraph's parser takes well under a second.
MAX_COST = 4 * MAX_TERMS**2
# What Oxigraph reads as one token is skipped whole (strings, comments, IRIs, the escaped
# characters of prefixed names, the `^^` of a typed literal; not a `<` that may be "less
# than"); then brackets and the operators counted, a two-character one (`||`, `<=`) once: inside
# parentheses every operator and comma, inside braces the chains of UNION and of paths.
_BREADTH = re.compile(
    r"""
    (?P<skip>'''(?:[^'\\]|\\.|'(?!''))*(?:'''|\Z)
           |\"\"\"(?:[^"\\]|\\.|"(?!""))*(?:\"\"\"|\Z)
           |'(?:[^'\\\n\r]|\\.)*'
           |"(?:[^"\\\n\r]|\\.)*"
           |\#[^\n\r]*
           |\\.
           |\^\^)
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<open>[({\[])
  | (?P<close>[)}\]])
  | (?P<chain>(?i:UNION)|\|\||[|/^])
  | (?P<operator>&&|[<>!]=|[-+*,=<>&!])
    """,
    re.VERBOSE | re.DOTALL,
)


class TooWide(TooDeep):
    """The text holds an expression or chain too long for a parser to read quickly."""

    def __init__(self, message: str) -> None:
        ValueError.__init__(self, message)


def sparql_breadth(text: str) -> tuple[int, int]:
    """Return the most operators directly inside one pair of parentheses (or chained
    directly inside one pair of braces) and the sum of their squares over the text."""
    counts: list[int] = []  # per bracket open: 1 + what it holds, negated inside braces
    widest = cost = 0
    position = 0
    while (match := _BREADTH.search(text, position)) is not None:
        kind = match.lastgroup
        position = match.end()
        if kind == "iri":
            if not (counts and counts[-1] > 0 and _after_operand(text, match.start())):
                continue  # an IRI, read whole
            # Inside an expression, `<` after an operand is "less than" to the parser, and
            # what follows it up to `>` is more of the expression: counted, not skipped.
            kind = "operator"
            position = match.start() + (2 if text.startswith("<=", match.start()) else 1)
        if kind == "open":
            counts.append(1 if match.group() == "(" else -1)
        elif kind == "close":
            if counts:
                held = abs(counts.pop()) - 1
                widest, cost = max(widest, held), cost + held * held
        elif counts and (kind == "chain" or (kind == "operator" and counts[-1] > 0)):
            counts[-1] += 1 if counts[-1] > 0 else -1
    for held in (abs(c) - 1 for c in counts):  # left open: the parser reads them even so
        widest, cost = max(widest, held), cost + held * held
    return widest, cost


def _after_operand(text: str, start: int) -> bool:
    """Tell whether the `<` at start follows something that may end an operand."""
    before = start - 1
    while before >= 0 and text[before] in " \t\r\n":
        before -= 1
    return before >= 0 and (text[before].isalnum() or text[before] in "_)\"'>.")


def check_breadth(text: str, what: str = "query") -> None:
    """Raise TooWide when one expression of SPARQL text, or all of them, are too long."""
    widest, cost = sparql_breadth(text)
    if widest > MAX_TERMS:
        raise TooWide(f"the {what} holds an expression, argument list or chain of UNION or "
                      f"path operators with {widest} operators or commas, more than the "
                      f"{MAX_TERMS} one may hold; give long lists of values as a VALUES block")
    if cost > MAX_COST:
        raise TooWide(f"the {what} holds too many long expressions (their operators and commas "
                      f"weigh {cost}, squared per expression; at most {MAX_COST}); split it "
                      "or give long lists of values as VALUES blocks")


def sparql_depth(text: str) -> int:
    """Return an upper bound of the nesting depth of SPARQL, Turtle or N3 text."""
    depth = deepest = 0
    for match in _SPARQL.finditer(text):
        kind = match.lastgroup
        if kind == "open":
            depth += 1
        elif kind == "close":
            depth = max(depth - 1, 0)
        elif kind == "quote_open":
            depth += QUOTED_WEIGHT
        elif kind == "quote_close":
            depth = max(depth - QUOTED_WEIGHT, 0)
        elif kind == "iri":
            # `<` may be a comparison to the parser: its brackets may be code.
            depth += sum(match.group().count(c) for c in "([")
        else:
            continue
        deepest = max(deepest, depth)
    return deepest


def json_depth(data: bytes) -> int:
    """Return the nesting depth of JSON (objects and arrays)."""
    # A closing bracket with none open is an error where the parser stops: no need to clamp.
    brackets = _JSON_STRING.sub(b"", data).translate(None, _NOT_BRACKET)
    steps = brackets.translate(_STEP)
    return max(accumulate(1 if step == 1 else -1 for step in steps), default=0)


def xml_depth(data: bytes) -> int:
    """Return the element nesting depth of XML (an unterminated construct ends the count)."""
    depth = deepest = 0
    position = data.find(b"<")
    while position >= 0:
        for opening, closing in _OPAQUE:
            if data.startswith(opening, position):
                end = data.find(closing, position + len(opening))
                position = -1 if end < 0 else end + len(closing)
                break
        else:
            if data.startswith(b"<!", position):  # a DOCTYPE, perhaps with declarations
                bracket, close = data.find(b"[", position), data.find(b">", position)
                if 0 <= bracket < close:
                    close = data.find(b">", max(data.find(b"]", bracket), bracket))
                position = -1 if close < 0 else close + 1
            else:
                tag = _TAG_END.match(data, position + 1)
                if tag is None:
                    break
                if data.startswith(b"</", position):
                    depth = max(depth - 1, 0)
                elif not tag.group().endswith(b"/>"):
                    depth += 1
                    deepest = max(deepest, depth)
                position = tag.end()
        if position >= 0:
            position = data.find(b"<", position)
    return deepest


def check_sparql(text: str, what: str = "query", limit: int = MAX_DEPTH) -> None:
    """Raise TooDeep when SPARQL text nests deeper than limit, TooWide when it is too wide."""
    if sparql_depth(text) > limit:
        raise TooDeep(what, limit)
    check_breadth(text, what)


def check_rdf(data: bytes, syntax: str, limit: int = MAX_DEPTH) -> None:
    """Raise TooDeep when an RDF document nests deeper than limit.

    syntax: "json" (JSON-LD), "xml" (RDF/XML) or "text" (Turtle, N-Triples, N3, TriG).
    """
    if syntax == "json":
        depth = json_depth(data)
    elif syntax == "xml":
        depth = xml_depth(data)
    else:
        depth = sparql_depth(data.decode("utf-8", errors="replace"))
    if depth > limit:
        raise TooDeep("document", limit)
