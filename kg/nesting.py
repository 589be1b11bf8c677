"""Bound how deeply and how widely a text nests before any parser reads it.

Parsers recurse on nesting; and Oxigraph's query parser takes time quadratic in the length
of one chain of operators (`1+1+…+1`, `{} UNION {} UNION …`), so that a 40 kB query costs
seconds before it is evaluated.

Oxigraph's SPARQL and JSON-LD parsers recurse once per level of nesting, and a few thousand
levels overflow a thread's stack, which kills the whole process.

A SPARQL query or update is measured on the tokens the guard reads it as (check_tokens), so
that its text is lexed once, and what is measured is what the engine runs. The depth of an
RDF document is measured by a reading of its own that never finds less nesting than the
parser does: brackets inside strings and comments are ignored only where every reading agrees
that they are inside one, and an opening bracket that might be code (inside an IRI) counts
even so. `<<` counts as an opening bracket even where it might be two comparisons.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import accumulate

from kg.sparql_reading import Token, tokens

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
# BINDs in one text: the engine's reading of a group costs the square of the BINDs in it and
# holds the interpreter part of the time (1,000: 0.05 s; 20,000: 40 s, 1.6 s of it held).
MAX_BINDS = 1000

# SPARQL text is measured on the tokens the guard reads it as (kg.sparql_reading.tokens),
# which are the tokens the engine runs: strings, comments, IRIs and the escaped characters
# of prefixed names are single tokens there, and a `<` after an operand in an expression is
# already "less than". The brackets and what each weighs in depth; the first of each kind
# holds expressions, the others chains of UNION and of paths.
_OPENS = {"(": 1, "{": 1, "[": 1, "<<(": 1, "{|": 1, "<<": QUOTED_WEIGHT}
_CLOSES = {")": 1, "}": 1, "]": 1, ")>>": 1, "|}": 1, ">>": QUOTED_WEIGHT}
_CHAINS = frozenset({"||", "|", "/", "^"})
_OPERATORS = frozenset({"&&", "<=", ">=", "!=", "-", "+", "*", ",", "=", "<", ">", "!"})


class TooWide(TooDeep):
    """The text holds an expression or chain too long for a parser to read quickly."""

    def __init__(self, message: str) -> None:
        ValueError.__init__(self, message)


def token_bounds(found: Iterable[Token]) -> tuple[int, int, int, int]:
    """Return, for the tokens of SPARQL text, the depth of its nesting, the most operators
    directly inside one pair of parentheses (or chained directly inside one pair of braces),
    the sum of their squares over the text, and how many BINDs it holds."""
    depth = deepest = widest = cost = binds = 0
    counts: list[int] = []  # per bracket open: 1 + what it holds, negated inside braces
    for kind, text, _, _ in found:
        if kind == "word" and len(text) == 4 and text.upper() == "BIND":
            binds += 1
        if kind == "punct":
            if text in _OPENS:
                depth += _OPENS[text]
                deepest = max(deepest, depth)
                counts.append(1 if text == "(" else -1)
            elif text in _CLOSES:
                depth = max(depth - _CLOSES[text], 0)
                if counts:
                    held = abs(counts.pop()) - 1
                    widest, cost = max(widest, held), cost + held * held
            elif counts and (text in _CHAINS or (text in _OPERATORS and counts[-1] > 0)):
                counts[-1] += 1 if counts[-1] > 0 else -1
        elif kind == "iri" and ("(" in text or "[" in text):
            # Were its `<` read as "less than", its brackets would be code: what they open
            # counts while the IRI is read (IRIs named `…_(bar)` nest no deeper than one).
            deepest = max(deepest, depth + _bracket_depth(text))
        elif not counts:
            continue
        elif kind == "word" and text.upper() == "UNION":
            counts[-1] += 1 if counts[-1] > 0 else -1
        elif kind == "number" and text[0] in "+-" and counts[-1] > 0:
            counts[-1] += 1  # `1+1`: the sign of the number is the operator
    for held in (abs(c) - 1 for c in counts):  # left open: the parser reads them even so
        widest, cost = max(widest, held), cost + held * held
    return deepest, widest, cost, binds


def _bracket_depth(text: str) -> int:
    depth = deepest = 0
    for character in text:
        if character in "([":
            depth += 1
            deepest = max(deepest, depth)
        elif character in ")]":
            depth = max(depth - 1, 0)
    return deepest


def check_tokens(found: Iterable[Token], what: str = "query", limit: int = MAX_DEPTH) -> None:
    """Raise TooDeep when the tokens of SPARQL text nest deeper than limit, TooWide when one
    of its expressions, or all of them, are too long."""
    depth, widest, cost, binds = token_bounds(found)
    if depth > limit:
        raise TooDeep(what, limit)
    if binds > MAX_BINDS:
        raise TooWide(f"the {what} holds {binds} BINDs, more than the {MAX_BINDS} one may hold "
                      "(the engine reads each BIND in the light of those before it: many "
                      "thousands would hold the service for minutes); give values as a VALUES "
                      "block")
    if widest > MAX_TERMS:
        raise TooWide(f"the {what} holds an expression, argument list or chain of UNION or "
                      f"path operators with {widest} operators or commas, more than the "
                      f"{MAX_TERMS} one may hold; give long lists of values as a VALUES block")
    if cost > MAX_COST:
        raise TooWide(f"the {what} holds too many long expressions (their operators and commas "
                      f"weigh {cost}, squared per expression; at most {MAX_COST}); split it "
                      "or give long lists of values as VALUES blocks")


def sparql_depth(text: str) -> int:
    """Return an upper bound of the nesting depth of Turtle, TriG or N3 text (or SPARQL
    text, read on its own rather than as the guard's tokens)."""
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
    """Raise TooDeep when SPARQL text nests deeper than limit, TooWide when it is too wide
    (for a text not otherwise lexed; the guard checks the tokens it reads, see check_tokens)."""
    check_tokens(tokens(text), what, limit)


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
