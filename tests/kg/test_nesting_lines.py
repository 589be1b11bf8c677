"""The nesting of an N-Quads backup read a piece at a time: the line found too deep is the one
the whole text shows, wherever the pieces end, and memory holds a piece however long a line."""

from __future__ import annotations

import io
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
    # A comment ends at a carriage return, where the parser goes on reading.
    (PLAIN + b"<urn:a> <urn:b> <urn:c> <urn:g> . # x\r" + b"<<( " * (MAX_DEPTH + 1) + b"\n", 2),
]


@pytest.mark.parametrize(("text", "line"), TEXTS)
@pytest.mark.parametrize("size", [1, 2, 3, 7, 64, PIECE_BYTES])
def test_the_line_too_deep_is_found_wherever_the_pieces_end(text: bytes, line: int | None,
                                                            size: int) -> None:
    depths = LineDepths()
    for start in range(0, len(text), size):
        depths.feed(text[start:start + size])
    assert depths.end() == line
    # As each line read whole finds it.
    whole = [number for number, read in enumerate(text.split(b"\n"), 1)
             if sparql_depth(read.decode()) > MAX_DEPTH]
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
