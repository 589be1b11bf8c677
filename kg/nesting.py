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
from collections.abc import Callable, Iterable, Sequence
from itertools import accumulate
from typing import IO

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
    (?P<skip>'''(?:[^'\\]++|\\.|'(?!''))*+(?:'''|\Z)
           |\"\"\"(?:[^"\\]++|\\.|"(?!""))*+(?:\"\"\"|\Z)
           |'(?:[^'\\]++|\\.)*+(?:'|\Z)
           |"(?:[^"\\]++|\\.)*+(?:"|\Z)
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


# Triple patterns joined in one group (and the groups, OPTIONALs, MINUSes and GRAPHs beside
# them): Oxigraph's planner takes time in the fourth power of their number when they share
# variables (100 sharing a subject: 0.55 s; 150: 2.8 s; 200: 9 s, on an empty store).
MAX_JOINED = 100
# The sum of the fourth powers over the groups of one text: two groups as large as allowed.
MAX_JOIN_COST = 2 * MAX_JOINED**4
# Words that are terms where a triple pattern may stand; every other word is a keyword.
_TERM_WORDS = frozenset({"A", "TRUE", "FALSE"})
_TERMS = frozenset({"var", "iri", "pname", "bnode", "string", "number"})
# What each opener is closed by, for the frames the join count keeps.
_UNJOINED = frozenset({"UNION", "MINUS", "EXISTS"})
_CLOSERS = {"{": "}", "(": ")", "[": "]", "{|": "|}", "<<": ">>", "<<(": ")>>"}


class _Group:
    """A group graph pattern: how many members its join holds, and whether a triple may
    start at the next term."""

    def __init__(self, joined_to: _Group | None = None, merged: bool = False) -> None:
        self.members = 0
        self.at_subject = True
        self.joined_to = joined_to  # the group it is a member of, once it holds a pattern
        # A plain or GRAPH group is planned into its parent's join with all its members (two
        # groups of 50 cost as one of 100); an OPTIONAL is one member, planned apart.
        self.merged = merged

    def close(self) -> int:
        """End the group: add it to the group it is a member of; return what its own join
        weighs on its own (nothing when merged: its members weigh in its parent's)."""
        if not self.members or self.joined_to is None:
            return self.members**4
        if self.merged:
            self.joined_to.members += self.members
            return 0
        self.joined_to.members += 1
        return self.members**4


def join_bounds(found: Iterable[Token]) -> tuple[int, int]:
    """Return, for the tokens of SPARQL text, the most members joined in one group (triple
    patterns, path steps, collection items, each OPTIONAL beside them, and every member of
    the plain and GRAPH groups inside it, which the engine plans into the same join) and the
    sum of the fourth powers of every join's members.

    Data (VALUES, INSERT DATA) and templates (CONSTRUCT, DELETE/INSERT) are never planned and
    are not counted. The count never falls below what the engine joins: where the reading is
    unsure (a parenthesis after a term), it counts more."""
    frames: list[tuple[str, str, _Group | None]] = []  # (kind, opener, its group)
    pending = ""  # "skip" when the next `{` opens data or a template
    largest = cost = 0
    last: Token | None = None
    before: Token | None = None
    for token in found:
        kind, text = token.kind, token.text
        top_kind, _, group = frames[-1] if frames else ("", "", None)
        if top_kind == "skip":
            if kind == "punct" and text in _CLOSERS:
                frames.append(("skip", text, None))
            elif kind == "punct" and _CLOSERS[frames[-1][1]] == text:
                frames.pop()
                if frames and frames[-1][2] is not None and frames[-1][0] == "group":
                    frames[-1][2].at_subject = True
        elif kind == "word" and text.upper() not in _TERM_WORDS:
            word = text.upper()
            if word in {"DATA", "VALUES", "CONSTRUCT", "INSERT", "DELETE"}:
                pending = "skip"
            elif word == "WHERE":
                pending = ""
            if top_kind == "group" and group is not None:
                group.at_subject = False
        elif kind == "punct" and text == "{" and pending == "skip":
            pending = ""
            frames.append(("skip", text, None))
        elif kind == "punct" and text in _CLOSERS:
            if text in "({[" or top_kind not in {"", "expr"}:
                frames.append(_opened(text, top_kind, group, last, before))
        elif kind == "punct" and frames and _CLOSERS[frames[-1][1]] == text:
            closed_kind, _, closed = frames.pop()
            if closed_kind == "group" and closed is not None:
                largest = max(largest, closed.members)
                cost += closed.close()
            if frames and frames[-1][0] == "group" and closed_kind in {"group", "expr"}:
                group = frames[-1][2]
                if group is not None:
                    group.at_subject = True
        elif group is None or top_kind == "expr":
            pass
        elif kind in _TERMS or kind == "word":
            if top_kind == "list":
                group.members += 1
            elif top_kind == "group" and group.at_subject:
                group.members += 1
                group.at_subject = False
        elif kind == "punct" and text in {";", ",", "/"}:
            group.members += 1
        elif kind == "punct" and text == "." and top_kind == "group":
            group.at_subject = True
        before, last = last, token
    for frame_kind, _, group in reversed(frames):  # left open: the parser reads them even so
        if frame_kind == "group" and group is not None:
            largest = max(largest, group.members)
            cost += group.close()
    return largest, cost


def _opened(text: str, top_kind: str, group: _Group | None, last: Token | None,
            before: Token | None) -> tuple[str, str, _Group | None]:
    """Return the frame an opening bracket starts (see join_bounds)."""
    if text == "{":
        # A UNION branch, MINUS or EXISTS is not planned into the join of its group; nor is
        # a group that holds no triple pattern.
        if top_kind == "group" and not _is_word(last, _UNJOINED):
            merged = not _is_word(last, frozenset({"OPTIONAL"}))
            return ("group", text, _Group(joined_to=group, merged=merged))
        return ("group", text, _Group())
    if top_kind in {"", "expr"} or group is None:
        return ("expr", text, None)
    if text == "(" and _calls(last, before):
        return ("expr", text, group)
    if top_kind == "group" and group.at_subject:
        group.members += 1  # a triple starts with this collection or blank node
        group.at_subject = False
    if text == "(" or text == "<<(":
        return ("list", text, group)
    group.members += 1  # a blank node's, a reified triple's or an annotation's own triple
    return ("bnode", text, group)


def _calls(last: Token | None, before: Token | None) -> bool:
    """Tell whether a parenthesis after last (and before it) opens an expression: after a
    keyword or function name, or after an IRI called as a function after a keyword."""
    if _is_word(last):
        return True
    return last is not None and last.kind in {"iri", "pname"} and _is_word(before)


def _is_word(token: Token | None, among: frozenset[str] | None = None) -> bool:
    """Tell whether token is a keyword or function name (one of among, if given)."""
    if token is None or token.kind != "word" or token.text.upper() in _TERM_WORDS:
        return False
    return among is None or token.text.upper() in among


def _bracket_depth(text: str) -> int:
    depth = deepest = 0
    for character in text:
        if character in "([":
            depth += 1
            deepest = max(deepest, depth)
        elif character in ")]":
            depth = max(depth - 1, 0)
    return deepest


def check_tokens(found: Sequence[Token], what: str = "query", limit: int = MAX_DEPTH) -> None:
    """Raise TooDeep when the tokens of SPARQL text nest deeper than limit, TooWide when one
    of its expressions, or all of them, are too long, or one of its groups, or all of them,
    join too many patterns."""
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
    joined, join_cost = join_bounds(found)
    if joined > MAX_JOINED:
        raise TooWide(f"the {what} joins {joined} triple patterns, path steps or groups in one "
                      f"group, more than the {MAX_JOINED} one may join (the engine plans the "
                      "join of a group in time growing with the fourth power of their number); "
                      "split it into several queries")
    if join_cost > MAX_JOIN_COST:
        raise TooWide(f"the {what} joins too many patterns in its groups (their counts weigh "
                      f"{join_cost}, to the fourth power per group; at most {MAX_JOIN_COST}); "
                      "split it into several queries")


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


# N-Quads, read as its parser reads it, in pieces of any size: a statement is one line, which
# a `\r`, a `\n` or both end (the parser counts each as one line); a string runs to its
# closing quote (a backslash takes the next byte with it), an IRI to its `>`, a comment to the
# end of its line. Each run between bytes that matter is skipped by a pattern, without a step
# per byte. Where a line holds a byte that N-Quads cannot hold there (a bracket, a lone `>`
# or `)`, an IRI that ends without its `>`), the parser refuses it with a 400 and reads no
# further: the rest of the line is skipped, as a comment is.
# Plain text, with the strings and the IRIs without brackets it holds whole.
_NQ_PLAIN = re.compile(rb"""(?:[^\r\n"#<>()\[\]{}]++
                            |<[^<>"{}|^`\x00-\x20()\[\]]*+>
                            |"[^"\\\r\n]*+(?:\\[^\r\n][^"\\\r\n]*+)*+")*+""", re.VERBOSE)
_NQ_STRING = re.compile(rb"[^\"\\\r\n]*+(?:\\[^\r\n][^\"\\\r\n]*+)*+")
_NQ_IRI = re.compile(rb"[^<>\"{}|^`\x00-\x20]*+")
_NQ_REST = re.compile(rb"[^\r\n]*+")
# Each `<` weighs at most this much (`<<` is two of them), each other opening byte one.
_NQ_PER_ANGLE = max(1, -(-QUOTED_WEIGHT // 2))


def _may_nest(limit: int) -> re.Pattern[bytes]:
    """What only a line that may nest deeper than limit holds: enough `<` (the bare
    brackets the parser refuses weigh nothing), or an IRI with a bracket in it. A line
    without either is skipped without a look at its bytes one by one."""
    needed = -(-(limit + 1) // _NQ_PER_ANGLE)
    # The last `<` of an odd run of them opens an IRI (`<<` before it is read first).
    return re.compile(rb"""(?:[^\r\n<]*+<){%d}
                         |[^\r\n]*?(?<!<)(?:<<)*+<(?!<)[^<>"{}|^`\x00-\x20()\[\]]*+[(\[]"""
                      % needed, re.VERBOSE)


def _line_ends(data: bytes, start: int, end: int) -> int:
    """The lines ended between start and end (`\r\n` ends one)."""
    return (data.count(b"\n", start, end) + data.count(b"\r", start, end)
            - data.count(b"\r\n", start, end))


class LineDepths:
    """The nesting of N-Quads text fed a piece at a time: the first line that nests deeper
    than limit, found with a piece and a few bytes in memory however long a line is.

    Triple terms (`<<( … )>>`) count one level, `<< … >>` QUOTED_WEIGHT, and an IRI one per
    `(` or `[` it holds (as sparql_depth reads them); each line starts at depth 0 (the parser
    refuses a statement that goes on past its line). A line with too few opening bytes to
    nest that deep is skipped whole, and one is read no further than the parser reads it."""

    def __init__(self, limit: int = MAX_DEPTH) -> None:
        self.limit = limit
        self.too_deep: int | None = None  # the first line deeper than limit
        self._line = 1
        self._held = b""  # the end of a piece, read with the next one: `<`, `\`, `)>`…
        self._mode = ""  # within the line read so far: "" (none begun), plain, string, iri…
        self._depth = 0
        self._after_cr = False  # the text so far ends with `\r`: a `\n` next ends no line
        self._candidate = _may_nest(limit)

    def feed(self, piece: bytes) -> None:
        """Read the next piece of the text."""
        if self.too_deep is None:
            self._read(self._held + piece, final=False)

    def end(self) -> int | None:
        """Read what is left; return the first line deeper than limit, if any."""
        if self.too_deep is None:
            self._read(self._held, final=True)
        return self.too_deep

    def _read(self, data: bytes, final: bool) -> None:
        self._held = b""
        position = 1 if self._after_cr and data.startswith(b"\n") else 0
        if data:
            self._after_cr = data.endswith(b"\r")
        if self._mode:  # a line begun in an earlier piece
            position = self._scan(data, position, final)
        # The last line of the piece is read even if short: it may go on in the next.
        last = max(data.rfind(b"\n"), data.rfind(b"\r")) + 1
        while position < len(data) and self.too_deep is None:
            # The next whole line that holds `<<` (the parser recurses on nothing else) and
            # may nest too deep; else the last line.
            start, seen = max(last, position), position
            quoted = data.find(b"<<", position, last)
            while quoted >= 0:
                begun = max(data.rfind(b"\n", seen, quoted), data.rfind(b"\r", seen, quoted),
                            seen - 1) + 1
                if self._candidate.match(data, begun, last):
                    start = begun
                    break
                seen = _run(_NQ_REST, data, quoted)
                quoted = data.find(b"<<", seen, last)
            self._line += _line_ends(data, position, start)
            if start == len(data):
                break
            self._mode, self._depth = "plain", 0
            position = self._scan(data, start, final)

    def _scan(self, data: bytes, position: int, final: bool) -> int:
        """Read the line begun (in self._mode at self._depth) from position to its end or
        the end of data; return where the next line starts (len(data) when it goes on)."""
        mode, depth, end = self._mode, self._depth, len(data)
        while position < end:
            if mode == "string":
                position = _run(_NQ_STRING, data, position)
                if position == end:
                    break
                if data[position] == 0x5C:  # a backslash at the end: read it with the next
                    if not final and position + 1 == end:
                        self._held = data[position:]
                        position = end
                        break
                    position += 1
                    continue
                # Its closing quote, or the end of the line (the parser refuses it there).
                mode, position = "plain", position + (data[position] == 0x22)
                continue
            if mode == "iri":
                run = _run(_NQ_IRI, data, position)
                depth += data.count(b"(", position, run) + data.count(b"[", position, run)
                position, mode = run, "plain" if run < end else "iri"
                if self._deepest(depth):
                    return end
                if mode == "plain":  # its `>`, or a byte no IRI holds: refused there
                    if data[position] != 0x3E:
                        mode = "rest"
                        continue
                    position += 1
                continue
            if mode == "rest":  # a comment, or what follows a refused byte
                position = _run(_NQ_REST, data, position)
                if position == end:
                    break
                mode = "plain"
            position = _run(_NQ_PLAIN, data, position)
            if position == end:
                break
            byte = data[position:position + 1]
            if byte in b"\r\n":
                self._mode, self._depth = "", 0
                self._line += 1
                return position + 1 + (data[position:position + 2] == b"\r\n")
            ahead = data[position:position + 3]
            if not final and len(ahead) < 3 and byte in b"<>)":
                self._held = data[position:]  # `<<(`, `)>>`, `>>` may go on in the next piece
                position = end
                break
            if byte == b'"':
                mode, position = "string", position + 1
            elif byte == b"#":
                mode, position = "rest", position + 1
            elif ahead.startswith(b"<<("):
                depth, position = depth + 1, position + 3
            elif ahead.startswith(b"<<"):
                depth, position = depth + QUOTED_WEIGHT, position + 2
            elif byte == b"<":
                mode, position = "iri", position + 1
            elif ahead == b")>>":
                depth, position = max(depth - 1, 0), position + 3
            elif ahead.startswith(b">>"):
                depth, position = max(depth - QUOTED_WEIGHT, 0), position + 2
            else:  # a bracket, a lone `)` or `>`: the parser refuses the line here
                mode = "rest"
            if self._deepest(depth):
                return end  # nothing more is read
        self._mode, self._depth = mode, depth
        return end

    def _deepest(self, depth: int) -> bool:
        if depth > self.limit and self.too_deep is None:
            self.too_deep = self._line
        return self.too_deep is not None


def _run(pattern: re.Pattern[bytes], data: bytes, position: int) -> int:
    """Where the run of pattern (which matches the empty text too) from position ends."""
    found = pattern.match(data, position)
    assert found is not None
    return found.end()


# What the nesting of N-Quads is read in at once.
PIECE_BYTES = 1 << 20


def first_too_deep(stream: IO[bytes], limit: int = MAX_DEPTH,
                   seen: Callable[[bytes], object] | None = None) -> int | None:
    """Read N-Quads from stream to its end, a piece at a time; return the first line that
    nests deeper than limit, if any. seen, if given, is handed every piece read (to hash
    the text in the same pass)."""
    depths = LineDepths(limit)
    while piece := stream.read(PIECE_BYTES):
        depths.feed(piece)
        if seen is not None:
            seen(piece)
    return depths.end()
