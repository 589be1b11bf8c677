"""The HTTP front's own refusals follow the CORS rule of every answer: none to a request that
carries credentials (an Authorization header, however it is written), none when the front
could not read the whole head to tell, and the family's CORS otherwise. Over real HTTP, the
requests written byte for byte on a socket (a client library would mend or refuse them)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from kg.paths import Layout
from service.routes import FAMILIES, Family
from tests.http import Reply, request
from tests.live import LiveServer
from tests.service.test_routes import _one_path_of, _raw, check

BUFFER_MB = 1
MEMORY_MB = 64
AUTHORIZATION = "Authorization: Bearer not-a-token-of-anyone\r\n"
HOST = "Host: 127.0.0.1\r\nConnection: close\r\n"
CORS = "access-control-allow-origin"


@pytest.fixture(scope="module")
def front(tmp_path_factory: pytest.TempPathFactory, built: Layout) -> Iterator[LiveServer]:
    settings = {"REQUEST_BUFFER_MB": str(BUFFER_MB), "QUERY_MEMORY_MB": str(MEMORY_MB)}
    with LiveServer(tmp_path_factory.mktemp("front-refusals"), home=built.root,
                    settings=settings) as server:
        yield server


def _refusals(target: str, before: str, after: str) -> list[tuple[int, str]]:
    """Each request the front refuses before the application sees it, with its status, the
    fields before and after the one that has it refused (either may be Authorization)."""
    longer = target + ("&" if "?" in target else "?") + "x=" + "y" * 9000
    fields = "".join(f"X-Field-{n}: 1\r\n" for n in range(101))
    return [
        (400, f"POST {target} HTTP/1.1\r\n{HOST}{before}Content-Length: 1\r\n"
              f"Content-Length: 2\r\n{after}\r\n"),
        (400, f"GET {target} HTTP/1.1\r\n{HOST}{before}X Bad Name: 1\r\n{after}\r\n"),
        (414, f"GET {longer} HTTP/1.1\r\n{HOST}{before}{after}\r\n"),
        (431, f"GET {target} HTTP/1.1\r\n{HOST}{before}{fields}{after}\r\n"),
        (501, f"POST {target} HTTP/1.1\r\n{HOST}{before}Transfer-Encoding: gzip, chunked\r\n"
              f"{after}\r\n"),
        # Read whole, then refused: the body does not fit in the worker's buffer.
        (503, f"PUT {target} HTTP/1.1\r\n{HOST}{before}"
              f"Content-Length: {(BUFFER_MB << 20) + 1}\r\n{after}\r\n"),
    ]


CORS_FAMILIES = [chosen for chosen in FAMILIES if chosen.cors]


@pytest.mark.parametrize("chosen", CORS_FAMILIES, ids=lambda f: f.name)
@pytest.mark.parametrize("where", ["none", "before", "after"])
def test_the_fronts_refusals_carry_cors_only_without_credentials(
        front: LiveServer, chosen: Family, where: str) -> None:
    # A differential over every status the front gives on its own: the same request with
    # Authorization before the field that has it refused, after it, or not at all.
    target = _one_path_of(chosen)
    before, after = {"none": ("", ""), "before": (AUTHORIZATION, ""),
                     "after": ("", AUTHORIZATION)}[where]
    for status, head in _refusals(target, before, after):
        reply = _raw(front.port, head)
        assert reply.status == status, (target, head[:80], reply.status, reply.body[:200])
        check(reply, target, head.split()[0], credentials=where != "none")


# Header lines a parser refuses that a reader may still take for Authorization.
MALFORMED = ["AUTHORIZATION : Bearer x", "authorization\t: Bearer x", " Authorization: Bearer x",
             "Authorization : ", "AuThOrIzAtIoN\t:Basic eDp5"]


@pytest.mark.parametrize("line", MALFORMED)
@pytest.mark.parametrize("path", ["/sparql?query=ASK%7B%7D", "/api/types"])
def test_a_malformed_authorization_line_gets_a_refusal_without_cors(
        front: LiveServer, line: str, path: str) -> None:
    for first in (True, False):
        fields = f"{line}\r\nAccept: */*\r\n" if first else f"Accept: */*\r\n{line}\r\n"
        reply = _raw(front.port, f"GET {path} HTTP/1.1\r\n{HOST}{fields}\r\n")
        assert reply.status == 400, (line, reply.status, reply.body[:200])
        assert CORS not in reply.headers, (line, reply.headers)
    # The same request with another field malformed keeps the family's CORS.
    reply = _raw(front.port, f"GET {path} HTTP/1.1\r\n{HOST}X-Other : 1\r\n\r\n")
    assert reply.status == 400 and reply.headers.get(CORS) == "*", reply.headers


def test_a_refusal_before_the_head_is_read_whole_carries_no_cors(front: LiveServer) -> None:
    # The client has not yet sent the rest of its head (which may hold Authorization): the
    # front cannot tell, and adds no CORS. Whole and without it, the same head gets them.
    for head, whole in ((f"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\n{HOST}X Bad: 1\r\n", False),
                        (f"GET /sparql?{'x' * 9000} HTTP/1.1\r\n", False),
                        (f"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\n{HOST}X Bad: 1\r\n\r\n",
                         True)):
        reply = _raw(front.port, head, timeout=10)
        assert reply.status in (400, 414), reply.status
        assert (CORS in reply.headers) == whole, (head[:60], reply.headers)


# Each doubling of the string doubles what the query holds: past the cap long before the end.
GROWING = ("SELECT (STRLEN(?s26) AS ?n) WHERE { BIND(\"0123456789abcdef\" AS ?s0) "
           + " ".join(f"BIND(CONCAT(?s{i}, ?s{i}) AS ?s{i + 1})" for i in range(26)) + " }")


def _served(server: LiveServer, seconds: float = 30) -> None:
    """Wait until a worker answers again (one that replaced the one that ended)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if request("GET", f"{server.url}/health", timeout=5).status == 200:
                return
        except OSError:
            pass
        assert time.monotonic() < deadline, "no worker answers"
        time.sleep(0.2)


@pytest.mark.slow  # each query ends its worker, which must be replaced
def test_the_memory_caps_503_carries_cors_only_without_credentials(front: LiveServer) -> None:
    for headers in ({}, {"Authorization": "Bearer not-a-token-of-anyone"}):
        _served(front)
        reply = request("GET", f"{front.url}/sparql?query={quote(GROWING)}",
                        headers={"Accept": "application/sparql-results+json", **headers},
                        timeout=60)
        assert reply.status == 503 and f"{MEMORY_MB} MB" in reply.text, reply.text
        check(reply, "/sparql", credentials=bool(headers))
    _served(front)


# Long in the engine's hands (1.6 10^9 solutions filtered), well within the time limit.
SLOW = ("SELECT (COUNT(*) AS ?n) WHERE { "
        + " ".join(f"VALUES ?{v} {{ {' '.join(str(n) for n in range(200))} }}" for v in "abcd")
        + " FILTER(?a + ?b + ?c + ?d < 0) }")


@pytest.mark.slow  # a server of its own, stopped
@pytest.mark.parametrize("credentials", [False, True], ids=["anonymous", "credentials"])
def test_the_503_at_a_stop_carries_cors_only_without_credentials(
        tmp_path: Path, built: Layout, credentials: bool) -> None:
    answers: list[Reply | Exception] = []
    headers = {"Authorization": "Bearer not-a-token-of-anyone"} if credentials else {}

    def ask() -> None:
        try:
            answers.append(request("POST", f"{server.url}/sparql", SLOW, timeout=60, headers={
                "Content-Type": "application/sparql-query", **headers}))
        except OSError as error:
            answers.append(error)

    with LiveServer(tmp_path, home=built.root, settings={"QUERY_TIMEOUT": "60"}) as server:
        asker = threading.Thread(target=ask)
        asker.start()
        time.sleep(1.5)  # the query is in the engine's hands
        assert server.process is not None
        server.process.terminate()
        asker.join(timeout=60)
        log = server.log.read_text()
    assert answers and isinstance(answers[0], Reply), (answers, log[-2000:])
    reply = answers[0]
    assert reply.status == 503 and "stopping" in reply.text, reply.text
    check(reply, "/sparql", "POST", credentials=credentials)
