"""Read N-Quads whose lines may be longer than Oxigraph's parser can hold.

Oxigraph's N-Quads parser keeps at most 16 MiB of one line in its buffer, yet a store may hold
a longer literal (a SPARQL update can build one), so a backup of it would not restore. The
lines longer than a safe share of that buffer are read on their own by rdflib's N-Quads
tokenizer, whose terms are made pyoxigraph terms directly (blank nodes keep their labels, as
Oxigraph's parser keeps them, so they stay one node across the file); every other line goes
through Oxigraph as before. A long line the second reader cannot read exactly (a triple term,
an escape Oxigraph would refuse) is refused with its line number.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, cast

import pyoxigraph as ox
from rdflib.exceptions import ParserError as ParseError
from rdflib.plugins.parsers.ntriples import (
    DummySink,
    W3CNTriplesParser,
    r_literal,
    r_nodeid,
    r_tail,
    r_uriref,
    r_wspace,
    unquote,
)

# Oxigraph's parser fails on a line longer than its buffer (16 MiB); lines from this length
# on are read by the long-line reader, with a margin for what the buffer holds besides.
PARSER_BUFFER = 16 * 1024 * 1024
LONG_LINE = PARSER_BUFFER // 2
_SCAN = 1024 * 1024
# An escape N-Quads allows; a backslash followed by anything else is refused, as Oxigraph does.
_ESCAPE = re.compile(r"""\\(?:[tbnrf"'\\]|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|(.?))""", re.S)
_LINE = re.compile(r"line (\d+)")


class LongLineRefused(SyntaxError):
    """A line too long for Oxigraph's parser that the long-line reader cannot read exactly."""


def too_long(error: MemoryError) -> str:
    """What a body whose line overflows the parser's buffer is told."""
    return (f"a line of it is longer than the parser can hold ({PARSER_BUFFER} bytes, "
            f"16 MiB): {error}")


def read_nquads(body: IO[bytes]) -> Iterator[ox.Quad]:
    """The quads of a seekable N-Quads file, long lines included, in the file's order."""
    long = _long_lines(body)
    if not long:
        body.seek(0)
        yield from ox.parse(body, format=ox.RdfFormat.N_QUADS)
        return
    start, first_line = 0, 1
    for begin, end, number in long:
        yield from _short(body, start, begin, first_line)
        body.seek(begin)
        yield from _long(body.read(end - begin), number)
        start, first_line = end, number + 1
    body.seek(0, 2)
    yield from _short(body, start, body.tell(), first_line)


def _long_lines(body: IO[bytes]) -> list[tuple[int, int, int]]:
    """Where each long line begins and ends (its newline included), and its number."""
    body.seek(0)
    found: list[tuple[int, int, int]] = []
    offset = line_start = 0
    number = 1
    while chunk := body.read(_SCAN):
        at = chunk.find(b"\n")
        while at != -1:
            end = offset + at + 1
            if end - line_start > LONG_LINE:
                found.append((line_start, end, number))
            line_start, number = end, number + 1
            at = chunk.find(b"\n", at + 1)
        offset += len(chunk)
    if offset - line_start > LONG_LINE:
        found.append((line_start, offset, number))
    return found


class _Slice:
    """Part of a file, read as a file of its own (what Oxigraph's parser reads)."""

    def __init__(self, body: IO[bytes], start: int, end: int) -> None:
        self.body, self.at, self.end = body, start, end

    def read(self, size: int = -1) -> bytes:
        left = self.end - self.at
        size = left if size is None or size < 0 else min(size, left)
        if size <= 0:
            return b""
        self.body.seek(self.at)
        data = self.body.read(size)
        self.at += len(data)
        return data


def _short(body: IO[bytes], start: int, end: int, first_line: int) -> Iterator[ox.Quad]:
    """The quads of lines start..end by Oxigraph, its errors naming the lines of the file."""
    if end <= start:
        return
    try:
        yield from ox.parse(cast(IO[bytes], _Slice(body, start, end)), format=ox.RdfFormat.N_QUADS)
    except SyntaxError as error:
        if first_line == 1:
            raise
        moved = _LINE.sub(lambda m: f"line {int(m[1]) + first_line - 1}", str(error.msg))
        raise SyntaxError(moved) from error


def _long(line: bytes, number: int) -> list[ox.Quad]:
    """The quad of one long line, read by the long-line reader."""
    try:
        reader = _LongLine()
        reader.line = line.decode("utf-8").rstrip("\r\n")
        reader.parseline()
        return reader.quads
    except (ParseError, UnicodeDecodeError, ValueError, TypeError) as error:
        raise LongLineRefused(
            f"line {number} is longer ({len(line)} bytes) than Oxigraph's N-Quads parser can "
            f"hold ({PARSER_BUFFER} bytes) and could not be read exactly otherwise: "
            f"{str(error)[:200]}") from error


def _string(escaped: str) -> str:
    """The value of an N-Quads string's escaped text, refusing an escape N-Quads does not allow."""
    for match in _ESCAPE.finditer(escaped):
        if match.group(1) is not None:
            raise ParseError(f"invalid escape \\{match.group(1)}")
    return unquote(escaped)


class _LongLine(W3CNTriplesParser):
    """rdflib's N-Quads tokenizer, making pyoxigraph terms (no rdflib terms, whose literals
    would be normalised and whose blank nodes renamed)."""

    def __init__(self) -> None:
        super().__init__(sink=DummySink())  # type: ignore[no-untyped-call]
        self.quads: list[ox.Quad] = []

    def uriref(self) -> ox.NamedNode | None:  # type: ignore[override]
        if self.peek("<"):
            return ox.NamedNode(_string(self.eat(r_uriref).group(1)))
        return None

    def nodeid(self, bnode_context: object = None) -> ox.BlankNode | None:  # type: ignore[override]
        if self.peek("_"):
            return ox.BlankNode(self.eat(r_nodeid).group(1))
        return None

    def literal(self) -> ox.Literal | None:  # type: ignore[override]
        if self.peek('"'):
            lexical, language, datatype = self.eat(r_literal).groups()
            value = _string(lexical)
            if language:
                return ox.Literal(value, language=language)
            if datatype:
                return ox.Literal(value, datatype=ox.NamedNode(_string(datatype)))
            return ox.Literal(value)
        return None

    def parseline(self, bnode_context: object = None) -> None:
        self.eat(r_wspace)
        if not self.line or self.line.startswith("#"):
            return
        subject = self.uriref() or self.nodeid()
        self.eat(r_wspace)
        predicate = self.uriref()
        self.eat(r_wspace)
        object_ = self.uriref() or self.nodeid() or self.literal()
        self.eat(r_wspace)
        graph = self.uriref() or self.nodeid()
        self.eat(r_tail)
        if subject is None or predicate is None or object_ is None:
            raise ParseError("a quad needs a subject, a predicate and an object")
        if self.line:
            raise ParseError("trailing text after the quad")
        self.quads.append(ox.Quad(subject, predicate, object_, graph or ox.DefaultGraph()))
