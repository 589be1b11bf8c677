"""A write cut by the operator's stop (SIGTERM to the server) is audited as interrupted, its
outcome unknown, though its client hears no answer."""

from __future__ import annotations

import http.client
import json
import threading
import time
from pathlib import Path

import pytest

from tests.live import LiveServer
from tests.service.test_write_faults import TOKEN, writable_settings

pytestmark = pytest.mark.slow  # a server of its own, stopped


def put(url: str, body: bytes, answers: list[object]) -> None:
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=120)
    try:
        connection.request("PUT", "/rdf-graphs/service?graph=urn:big", body,
                           {"Content-Type": "application/n-triples",
                            "Authorization": f"Bearer {TOKEN}"})
        answers.append(connection.getresponse().status)
    except (OSError, http.client.HTTPException) as cut:
        answers.append(cut)


def test_a_write_cut_by_a_stop_is_audited_as_interrupted(tmp_path: Path) -> None:
    seed = tmp_path / "seed.nt"
    seed.write_text("<urn:seed> <urn:p> \"1\" .\n", encoding="utf-8")
    body = "".join(f"<urn:s{n}> <urn:p> \"a value of some length {n}\" .\n"
                   for n in range(200_000)).encode()
    # A time limit the write fits in (else it is refused at once, from the pace of commits).
    settings = {**writable_settings(tmp_path), "MAX_REQUEST_BYTES": str(64 << 20),
                "QUERY_TIMEOUT": "120"}
    with LiveServer(tmp_path, args=(f"--data={seed}=urn:seed-graph",),
                    settings=settings) as server:
        answers: list[object] = []
        sender = threading.Thread(target=put, args=(server.url, body, answers))
        sender.start()
        time.sleep(1.5)  # the body is read; the write is being parsed or applied
        assert server.process is not None
        stopping = time.monotonic()
        server.process.terminate()
        server.process.wait(timeout=60)
        stopped_in = time.monotonic() - stopping
        sender.join(timeout=60)
    # Cut: no answer, or the server's 500 for a request it stopped serving; never a success.
    assert answers and not (isinstance(answers[0], int) and answers[0] < 300), answers
    assert Path(settings["AUDIT_LOG"]).exists(), answers
    records = [json.loads(line) for line in
               Path(settings["AUDIT_LOG"]).read_text(encoding="utf-8").splitlines()]
    puts = [r for r in records if r.get("path") == "/rdf-graphs/service"
            or r.get("graph") == "urn:big"]
    assert [r["status"] for r in puts] == ["interrupted"], records
    assert puts[0]["outcome"] == "unknown" and puts[0]["who"] == "tester"
    assert stopped_in < 2, stopped_in  # the write in hand does not hold up the stop
