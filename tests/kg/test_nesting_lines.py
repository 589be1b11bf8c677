"""The nesting of an N-Quads backup read a piece at a time: the line found too deep is the one
the whole text shows, wherever the pieces end, and memory holds a piece however long a line."""

from __future__ import annotations

import io
import re
import time
import tracemalloc
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.nesting import MAX_DEPTH, PIECE_BYTES, LineDepths, first_too_deep, sparql_depth

PLAIN = b"<urn:a> <urn:b> <urn:c> <urn:g> .\n"


def _deep(depth: int, inner: bytes = b"<urn:a>") -> bytes:
    """One quad whose object is a triple term nested depth deep."""
    return (b"<urn:s> <urn:p> " + b"<<( <urn:s> <urn:p> " * depth + inner
            + b" )>>" * depth + b" <urn:g> .\n")


# Texts, and the line of each that nests deeper than MAX_DEPTH.
TEXTS = [
    (PLAIN * 5 + _deep(MAX_DEPTH + 1), 6),
    (PLAIN + _deep(MAX_DEPTH) * 3, None),
    # Brackets in strings, escaped quotes and comments are not read as nesting.
    (b'<urn:a> <urn:b> "<<( <<( \\" <<(" <urn:g> .\n' * 3, None),
    (b'<urn:a> <urn:b> "' + b"<<( " * 200 + b'" <urn:g> . # ' + b"<<( " * 200 + b"\n", None),
    (b'<urn:a> <urn:b> "x\\\\" ' + b"<<( " * (MAX_DEPTH + 1) + b"\n", 1),
    # An IRI's brackets count, as where `<` could be read otherwise.
    (b"<urn:a> <urn:b> <http://x/(a)(b)> " + b"<<( " * (MAX_DEPTH - 1) + b"\n", 1),
    (b"\n\n" + _deep(MAX_DEPTH + 50) + PLAIN, 3),
    (PLAIN + b"<urn:a> <urn:b> " + b"<< " * 26 + b"\n", 2),
    # A comment ends at a carriage return, which ends a line as the parser counts them.
    (PLAIN + b"<urn:a> <urn:b> <urn:c> <urn:g> . # x\r" + b"<<( " * (MAX_DEPTH + 1) + b"\n", 3),
    # Lines ended by `\r`, `\r\n` or `\n`: each is one line, as the parser counts them.
    (PLAIN.replace(b"\n", b"\r") * 2 + _deep(MAX_DEPTH + 1), 3),
    (PLAIN.replace(b"\n", b"\r\n") * 2 + b"\r" + _deep(MAX_DEPTH + 1), 4),
    (_deep(MAX_DEPTH).replace(b"\n", b"\r") * 3 + _deep(MAX_DEPTH + 1).replace(b"\n", b"\r"), 4),
    # A line is read no further than the first byte the parser refuses there: nothing after
    # it is parsed.
    (b"<urn:a> <urn:b> ( " + b"<<( " * (MAX_DEPTH + 1) + b"\n" + PLAIN, None),
    (b"<urn:a> <urn:b> <a " + b"<<( " * (MAX_DEPTH + 1) + b"\n" + _deep(MAX_DEPTH + 1), 2),
    (b"<urn:a> <urn:b> <<( " + b"(" * 200 + b"\n" + b"<a " * 300 + b"\n", None),
    # Brackets in IRIs count, however the `<` before them are paired.
    (b"<urn:a> <urn:b> <<<http://x/" + b"(" * (MAX_DEPTH - 3) + b"> .\n", 1),
]


def _read_as_parsed(line: bytes) -> bytes:
    """The line up to the first bracket or lone `>` outside strings and comments, or IRI
    ended without its `>`, where the parser refuses it."""
    refused = re.compile(rb"""(?:[^"#<>()\[\]{}]++|<<\(?|\)>>|>>|"(?:[^"\\]|\\.)*+"?
                              |<[^<>"{}|^`\x00-\x20]*+>|\#.*)*+""", re.VERBOSE)
    found = refused.match(line)
    assert found is not None
    return line[:found.end()]


@pytest.mark.parametrize(("text", "line"), TEXTS)
@pytest.mark.parametrize("size", [1, 2, 3, 7, 64, PIECE_BYTES])
def test_the_line_too_deep_is_found_wherever_the_pieces_end(text: bytes, line: int | None,
                                                            size: int) -> None:
    depths = LineDepths()
    for start in range(0, len(text), size):
        depths.feed(text[start:start + size])
    assert depths.end() == line
    # As each line read whole finds it.
    whole = [number for number, read in enumerate(re.split(rb"\r\n|\r|\n", text), 1)
             if sparql_depth(_read_as_parsed(read).decode()) > MAX_DEPTH]
    assert (whole[0] if whole else None) == line


def test_what_the_check_lets_through_the_engine_parses() -> None:
    assert first_too_deep(io.BytesIO(_deep(MAX_DEPTH))) is None
    assert len(list(ox.parse(_deep(MAX_DEPTH), format=ox.RdfFormat.N_QUADS))) == 1
    assert first_too_deep(io.BytesIO(_deep(MAX_DEPTH + 1))) == 1


@pytest.mark.parametrize(("depth", "line"), [(MAX_DEPTH, None), (MAX_DEPTH + 1, 2)])
def test_one_long_line_is_checked_in_bounded_memory(tmp_path: Path, depth: int,
                                                    line: int | None) -> None:
    # One valid quad of 48 MB: a long literal inside a nested triple term, whose closing
    # brackets come after it, pieces later.
    backup = tmp_path / "backup.nq"
    backup.write_bytes(PLAIN + _deep(depth, b'"' + b"x\\n" * (16 << 20) + b'"'))
    seen: list[int] = []
    tracemalloc.start()
    try:
        with backup.open("rb") as stream:
            found = first_too_deep(stream, seen=lambda piece: seen.append(len(piece)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert found == line
    assert sum(seen) == backup.stat().st_size  # every piece handed on
    assert peak < 4 * PIECE_BYTES, f"the check held {peak} bytes"


@pytest.mark.parametrize("line", [
    b"<urn:a> <urn:b> ( <urn:c> <urn:g> .",
    b"<urn:a> <urn:b> <<( [ <urn:c> <urn:g> .",
    b"<urn:a> <urn:b> <<( <urn:s> <urn:p> { )>> <urn:g> .",
    b"<urn:a> <urn:b> ) <urn:g> .",
    b"<urn:a> <urn:b> > <urn:g> .",
    b"<urn:a> <urn:b> <a <urn:g> .",
])
@pytest.mark.parametrize("end", [b"\n", b"\r", b"\r\n"])
def test_a_line_the_check_reads_no_further_is_refused_there_by_the_parser(line: bytes,
                                                                          end: bytes) -> None:
    # Past the refused byte the line nests as deep as it likes: the parser never reads it.
    text = (PLAIN.replace(b"\n", end) * 2 + line + b" <<( " * (MAX_DEPTH + 1) + end
            + PLAIN.replace(b"\n", end))
    assert first_too_deep(io.BytesIO(text)) is None
    with pytest.raises(SyntaxError, match=r"^Parser error at line 3 "):
        list(ox.parse(text, format=ox.RdfFormat.N_QUADS))


@pytest.mark.parametrize("end", [b"\r", b"\r\n", b"\n"])
def test_the_line_named_is_the_one_the_parser_names(end: bytes) -> None:
    # The deep line ends with a byte the parser refuses, so that it names the line.
    text = PLAIN.replace(b"\n", end) * 4 + _deep(MAX_DEPTH + 1).replace(b" .\n", b" ( .\n")
    assert first_too_deep(io.BytesIO(text), seen=lambda piece: None) == 5
    with pytest.raises(SyntaxError, match=r"^Parser error at line 5 "):
        list(ox.parse(text, format=ox.RdfFormat.N_QUADS))


def _seconds(*texts: bytes) -> list[float]:
    """The least time of five checks of each text, the texts taking turns (so that the
    machine's other load falls on each alike)."""
    times: list[list[float]] = [[] for _ in texts]
    for _ in range(5):
        for text, taken in zip(texts, times, strict=True):
            started = time.perf_counter()
            assert first_too_deep(io.BytesIO(text)) is None
            taken.append(time.perf_counter() - started)
    return [min(taken) for taken in times]


@pytest.mark.parametrize("line", [b"<u:a> <u:b> <<(" + b"(" * 50 + b"\n", b"<a " * 40 + b"\n",
                                  b"<a " * 40])
def test_lines_the_parser_refuses_cost_no_more_to_check_than_valid_ones(line: bytes) -> None:
    size = 2 << 20
    valid = (b"<urn:s> <urn:p> <<( <urn:a> <urn:b> <<( <urn:c> <urn:d> <urn:e> )>> )>> "
             b"<urn:g> .\n")
    refused, checked = _seconds(line * (size // len(line)), valid * (size // len(valid)))
    assert refused < 3 * checked, (refused, checked)
