"""When two IRIs name the same resource: RFC 3986 syntax-based and scheme-based normalisation.

Two IRIs whose normal forms are equal differ only in spelling: the case of the scheme and the
host, a default or zero-padded port, percent-encoded unreserved characters or the case of
percent-encodings, dot segments, an empty path. RDF compares IRIs character by character, so
such look-alikes are different graphs to a store, and the same address to any reader.
"""

from __future__ import annotations

import re
import string
from urllib.parse import urlsplit, urlunsplit

UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
DEFAULT_PORTS = {"http": 80, "https": 443}
_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")


def _percent(text: str) -> str:
    """Decode percent-encoded unreserved characters; write the other encodings in capitals."""

    def one(found: re.Match[str]) -> str:
        char = chr(int(found[1], 16))
        return char if char in UNRESERVED else "%" + found[1].upper()

    return _PERCENT.sub(one, text)


def _without_dot_segments(path: str) -> str:
    """Remove the "." and ".." segments of an absolute path (RFC 3986, section 5.2.4)."""
    kept: list[str] = []
    for segment in path.split("/")[1:]:
        if segment == "..":
            if kept:
                kept.pop()
        elif segment != ".":
            kept.append(segment)
    # A path ending in a dot segment names a folder: "/a/b/.." is "/a/".
    folder = path.endswith(("/.", "/..")) and kept
    return "/" + "/".join(kept) + ("/" if folder else "")


def _authority(netloc: str, scheme: str) -> str:
    """The authority with its host in small letters and without the scheme's default port."""
    userinfo, at, host_port = netloc.rpartition("@")
    host, colon, port = host_port.rpartition(":")
    if not colon or "]" in port:  # no port: the colons were an IPv6 literal's
        host, port = host_port, ""
    if port.isdigit():
        port = "" if int(port) == DEFAULT_PORTS.get(scheme) else str(int(port))
    host = _percent(_percent(host).lower())  # a decoded letter is made small too
    return f"{_percent(userinfo)}{at}{host}{':' if port else ''}{port}"


def normal_form(iri: str) -> str:
    """The normal form of iri: equal for two IRIs that differ only in spelling."""
    try:
        parts = urlsplit(iri)
    except ValueError:  # not an IRI urllib can split (a broken IPv6 literal): only itself
        return iri
    path = _percent(parts.path)
    if parts.netloc or path.startswith("/"):
        path = _without_dot_segments(path or "/")
    return urlunsplit((parts.scheme.lower(), _authority(parts.netloc, parts.scheme.lower()),
                       path, _percent(parts.query), _percent(parts.fragment)))
