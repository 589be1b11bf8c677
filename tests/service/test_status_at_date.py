"""Status at a date: the competency question on the real engine, the REST route and the page."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any
from urllib.parse import urlencode

import pytest

from kg.paths import Layout
from kg.store.oxigraph_backend import OxigraphBackend
from service.status import status_at
from tests.http import request
from tests.live import LiveServer

DMR = "https://w3id.org/dmkg/id/"
FRANCE = f"{DMR}place/france"


@pytest.fixture(scope="module")
def backend(built: Layout) -> OxigraphBackend:
    store = OxigraphBackend.in_memory()
    store.load(built.dist_dir / "dmkg.nq")
    return store


def in_force(backend: OxigraphBackend, layout: Layout, entity: str, day: str,
             jurisdiction: str | None = FRANCE) -> set[str]:
    rows = status_at(backend, layout.queries_dir, f"{DMR}{entity}", dt.date.fromisoformat(day),
                     jurisdiction)
    return {r["id"] for r in rows if r["state"] in {"in force", "confirmed"}}


def test_injectable_preparations_change_on_24_april_2017(backend: OxigraphBackend,
                                                         built: Layout) -> None:
    before = in_force(backend, built, "substance/injectable-ketamine", "2017-03-01")
    after = in_force(backend, built, "substance/injectable-ketamine", "2017-05-01")
    assert before == {"regulation/injectable-ketamine-fr-liste-i"}
    assert after == {"regulation/injectable-ketamine-fr-stupefiants-2017"}
    # The change day itself: the new regime applies, the old one has ended.
    assert in_force(backend, built, "substance/injectable-ketamine", "2017-04-24") == after
    assert in_force(backend, built, "substance/injectable-ketamine", "2017-04-23") == before


def test_the_substance_answers_the_same_before_and_after(backend: OxigraphBackend,
                                                         built: Layout) -> None:
    before = in_force(backend, built, "substance/ketamine", "2017-03-01")
    after = in_force(backend, built, "substance/ketamine", "2017-05-01")
    assert before == after == {"regulation/ketamine-fr-stupefiants-1997"}


def test_a_year_only_date_is_uncertain_within_its_year(backend: OxigraphBackend,
                                                       built: Layout) -> None:
    rows = status_at(backend, built.queries_dir, f"{DMR}substance/ketamine",
                     dt.date(1997, 6, 1), FRANCE)
    assert {(r["id"], r["state"]) for r in rows} == {
        ("regulation/ketamine-fr-stupefiants-1997", "uncertain")}
    assert in_force(backend, built, "substance/ketamine", "1996-12-31") == set()


def test_international_dates_are_entry_into_force(backend: OxigraphBackend,
                                                  built: Layout) -> None:
    intl = f"{DMR}place/international"
    # Signed in 1961 but in force on 13 December 1964; MDMA not yet listed in 1980.
    assert in_force(backend, built, "substance/cocaine", "1963-01-01", intl) == set()
    assert in_force(backend, built, "substance/cocaine", "1965-01-01", intl) == {
        "regulation/un-1961-schedule-i"}
    assert in_force(backend, built, "substance/mdma", "1980-01-01", intl) == set()
    assert "regulation/un-1961-schedule-iv-cannabis" in in_force(
        backend, built, "substance/herbal-cannabis", "2017-05-01", intl)
    assert "regulation/un-1961-schedule-iv-cannabis" not in in_force(
        backend, built, "substance/herbal-cannabis", "2021-01-01", intl)


def api(server: LiveServer, path: str, **params: Any) -> tuple[int, Any]:
    reply = request("GET", f"{server.url}/api{path}?{urlencode(params)}")
    assert reply.media_type == "application/json", reply.body
    return reply.status, json.loads(reply.body)


def test_route_answers_differently_for_the_preparations_only(live_server: LiveServer) -> None:
    answers = {}
    for entity in ("injectable-ketamine", "ketamine"):
        for day in ("2017-03-01", "2017-05-01"):
            status, body = api(live_server, f"/entities/substance/{entity}/status", at=day,
                               jurisdiction="place/france")
            assert status == 200, body
            assert body["at"] == day and body["jurisdiction"] == "place/france"
            answers[entity, day] = {(m["id"], m["status"], m["state"]) for m in body["measures"]}
    assert answers["injectable-ketamine", "2017-03-01"] == {
        ("regulation/injectable-ketamine-fr-liste-i", "French List I of poisonous substances",
         "in force")}
    assert answers["injectable-ketamine", "2017-05-01"] == {
        ("regulation/injectable-ketamine-fr-stupefiants-2017",
         "French narcotics list (stupéfiants)", "in force")}
    assert answers["ketamine", "2017-03-01"] == answers["ketamine", "2017-05-01"]
    status, body = api(live_server, "/entities/substance/ketamine/status", at="2017-05-01",
                       jurisdiction="france")
    measure = next(m for m in body["measures"] if m["id"].endswith("stupefiants-1997"))
    assert measure["from"] == "1997"
    assert "8 August 1997" in measure["instrument"]


def test_route_refuses_bad_input_clearly(live_server: LiveServer) -> None:
    status, body = api(live_server, "/entities/substance/ketamine/status", at="2017-02-30")
    assert status == 400 and "at" in json.dumps(body)
    status, body = api(live_server, "/entities/substance/ketamine/status")
    assert status == 400 and "at" in json.dumps(body)
    status, body = api(live_server, "/entities/substance/no-such/status", at="2017-01-01")
    assert status == 404 and "substance/no-such" in body["message"]
    status, body = api(live_server, "/entities/substance/ketamine/status", at="2017-01-01",
                       jurisdiction="place/atlantis")
    assert status == 404 and "atlantis" in body["message"]


def test_every_jurisdiction_when_none_is_given(live_server: LiveServer) -> None:
    status, body = api(live_server, "/entities/substance/ketamine/status", at="2016-01-01")
    assert status == 200
    states = {(m["jurisdiction"], m["state"]) for m in body["measures"]}
    assert states == {("place/france", "in force"), ("place/international", "confirmed")}


def test_entity_page_draws_the_time_line_with_a_table(live_server: LiveServer) -> None:
    reply = request("GET", f"{live_server.url}/id/substance/injectable-ketamine",
                    headers={"Accept": "text/html"})
    assert reply.status == 200
    page = reply.body.decode("utf-8")
    figure = re.search(r'<figure class="timeline">(.*?)</figure>', page, re.S)
    assert figure is not None
    svg = figure.group(1)
    bars = re.findall(r'<rect x="([0-9.]+)" y="[0-9.]+" width="([0-9.]+)"[^>]*fill="(#\w+)"', svg)
    assert len(bars) == 2
    (x1, w1, c1), (x2, _, c2) = sorted(bars, key=lambda b: float(b[0]))
    # Liste I ends where the narcotics listing starts; each category has its colour.
    assert abs(float(x1) + float(w1) - float(x2)) < 0.5 and c1 != c2
    assert "arrêté of 4 December 1997" in svg
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td>",
                      figure.group(1), re.S)
    # Dates read in the page's language, each with its ISO form for machines.
    assert [(r[1], r[2], r[3]) for r in rows] == [
        ("French List I of poisonous substances", '<time datetime="1997">1997</time>',
         '<time datetime="2017-04-24">24 April 2017</time>'),
        ("French narcotics list (stupéfiants)",
         '<time datetime="2017-04-24">24 April 2017</time>', "")]


def test_a_measure_says_which_documents_were_read(live_server: LiveServer) -> None:
    status, body = api(live_server, "/entities/regulation/ketamine-fr-stupefiants-1997")
    assert status == 200
    measure = body["measures"][0]
    assert [i["id"] for i in measure["established_by"]] == [
        "regulation/arrete-1997-08-08-ketamine"]
    assert measure["checked"] == ["https://senat.fr/questions/base/2001/qSEQ011035603.html"]
