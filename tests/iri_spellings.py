"""Hypothesis strategies: other spellings of an http(s) IRI that name the same resource."""

from __future__ import annotations

from urllib.parse import urlsplit

from hypothesis import strategies as st

from kg.iri_equivalence import DEFAULT_PORTS, UNRESERVED


@st.composite
def _letter_case(draw: st.DrawFn, text: str) -> str:
    return "".join(c.upper() if c.isalpha() and draw(st.booleans()) else c for c in text)


@st.composite
def _encoded(draw: st.DrawFn, text: str) -> str:
    """text with some unreserved characters percent-encoded, in either case of hex digits."""
    out = []
    for char in text:
        if char in UNRESERVED and draw(st.integers(0, 3)) == 0:
            code = f"%{ord(char):02X}"
            out.append(code.lower() if draw(st.booleans()) else code)
        else:
            out.append(char)
    return "".join(out)


DOT_SEGMENTS = st.sampled_from(["./", "%2E/", "%2e/", "x/../", "Ab/%2E%2E/", "x/y/../../"])


@st.composite
def _path(draw: st.DrawFn, path: str) -> str:
    """path with its segments encoded and dot segments inserted after some slashes."""
    segments = path.split("/")
    out = [segments[0]]
    for segment in segments[1:]:
        detour = "".join(draw(st.lists(DOT_SEGMENTS, max_size=2)))
        out.append(detour + draw(_encoded(segment)))
    return "/".join(out)


@st.composite
def spellings(draw: st.DrawFn, iri: str) -> str:
    """Another spelling of iri (scheme://host/path): the same resource under RFC 3986."""
    parts = urlsplit(iri)
    assert parts.hostname and not parts.port and not parts.query and not parts.fragment
    default = DEFAULT_PORTS[parts.scheme]
    port = draw(st.sampled_from(["", ":", f":{default}", f":0{default}"]))
    host = draw(_encoded(draw(_letter_case(parts.hostname))))
    found: str = draw(_letter_case(parts.scheme)) + "://" + host + port + draw(_path(parts.path))
    return found
