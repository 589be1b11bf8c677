"""The claims browser's downloads over real HTTP: each linked value's code with its label in
the reader's language, the CSV as Excel opens it, and the JSON holding the same."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest

from kg.paths import Layout
from tests.http import Reply, request
from tests.live import LiveServer
from tests.service.test_writes import TOKEN, update, writable_settings

LINKED = ("kind", "quote_origin", "confidence", "trend", "trend_of", "source",
          "corroborated_by", "attributed_to", "about", "substance", "channel", "place")
CODE = re.compile(r"^(ReportedFinding|EditorialStatement|Opinion|RegulatoryFact|"
                  r"[a-z]+/[\w.-]+)$")


def download(server: LiveServer, **args: str) -> Reply:
    return request("GET", server.url + "/claims?" + urlencode(args))


def rows_of(reply: Reply, separator: str = ",") -> list[dict[str, str]]:
    assert reply.status == 200, reply.text
    return list(csv.DictReader(io.StringIO(reply.body.decode("utf-8-sig")),
                               delimiter=separator))


def test_every_linked_value_has_its_code_and_its_label(live_server: LiveServer) -> None:
    french = rows_of(download(live_server, format="csv", lang="fr"))
    english = rows_of(download(live_server, format="csv", lang="en"))
    assert french and [r["id"] for r in french] == [r["id"] for r in english]
    for name in LINKED:
        filled = [r for r in french if r[name]]
        assert filled, f"no claim has a {name}"
        for row in filled:
            codes, labels = row[name].split("; "), row[f"{name}_label"].split("; ")
            assert len(codes) == len(labels), (name, row["id"])
            assert all(CODE.match(code) for code in codes), (name, row[name])
            assert all(label and label not in codes for label in labels), (name, row["id"])
    checked = [a for r in french for a in r["checked_in"].split("; ") if a]
    assert checked and all(a.startswith(("http://", "https://")) for a in checked)
    # The labels speak the reader's language; the codes do not change with it.
    for name in ("kind", "confidence", "trend"):
        assert [r[name] for r in french] == [r[name] for r in english]
        assert [r[f"{name}_label"] for r in french] != [r[f"{name}_label"] for r in english]
    trends = {r["trend"]: r["trend_label"] for r in french if r["trend"] == "concept/increasing"}
    assert trends == {"concept/increasing": "en hausse"}
    assert not download(live_server, format="csv", lang="fr").body.startswith(b"\xef\xbb\xbf")


def test_the_json_download_holds_the_same_columns_as_lists(live_server: LiveServer) -> None:
    reply = download(live_server, format="json", lang="fr", trend="concept/increasing")
    assert reply.status == 200 and reply.headers["content-language"] == "fr"
    data = json.loads(reply.body)
    table = rows_of(download(live_server, format="csv", lang="fr", trend="concept/increasing"))
    assert data["total"] == len(table) == len(data["results"]) > 0
    for row, line in zip(data["results"], table, strict=True):
        assert list(row) == list(line)
        for name in ("trend", "trend_of", "corroborated_by", "about", "substance", "channel",
                     "place"):
            assert isinstance(row[name], list) and len(row[name]) == len(row[f"{name}_label"])
            assert "; ".join(row[name]) == line[name]
        assert row["source_label"] == line["source_label"] and row["source_label"]


def test_the_csv_for_excel(live_server: LiveServer) -> None:
    plain = rows_of(download(live_server, format="csv", lang="fr"))
    french = download(live_server, format="csv", lang="fr", **{"for": "excel"})
    assert french.body.startswith(b"\xef\xbb\xbfid;iri;ref;")  # UTF-8 as Excel reads it
    assert french.media_type == "text/csv" and "attachment" in french.headers[
        "content-disposition"]
    lines = french.body.split(b"\r\n")
    assert len(lines) > len(plain) and b"\n" not in lines[0]  # CRLF ends every record
    assert rows_of(french, ";") == plain
    english = download(live_server, format="csv", lang="en", **{"for": "excel"})
    assert english.body.startswith(b"\xef\xbb\xbfid,iri,ref,")
    assert len(rows_of(english)) == len(plain)
    for bad in ({"for": "word", "format": "csv"}, {"for": "excel", "format": "json"},
                {"for": "excel"}):
        reply = download(live_server, **bad)
        assert reply.status == 400, bad
        assert "parameter 'for'" in html.unescape(reply.text), bad


def test_the_page_links_each_download(live_server: LiveServer) -> None:
    page = download(live_server, lang="fr", source="source/jim-2017-03-14-dealers-nouveaux-"
                    "canaux").text
    assert re.search(r'href="/claims\?[^"]*format=csv&amp;for=excel[^"]*"[^>]*download>'
                     r"CSV pour Excel</a>", page)


# A contributed claim whose texts Excel would run as formulas.
FORMULAS = """PREFIX dmo: <https://w3id.org/dmkg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
INSERT DATA { GRAPH <https://w3id.org/dmkg/graph/contrib/alice> {
  <https://w3id.org/dmkg/id/claim/formula> a dmo:Claim, dmo:Opinion ;
    rdfs:label "=HYPERLINK(\\"http://127.0.0.1:9/\\", \\"clic\\")"@fr ;
    dmo:statedIn <https://w3id.org/dmkg/id/source/jim-2017-03-14-dealers-nouveaux-canaux> } }"""


@pytest.mark.slow
def test_the_csv_for_excel_runs_no_formula(tmp_path: Path, built: Layout) -> None:
    with LiveServer(tmp_path, home=built.root, settings=writable_settings(tmp_path)) as server:
        assert update(server, FORMULAS, TOKEN).status == 204
        deadline = time.monotonic() + 30
        while True:  # the contributed claim is named once the catalogue has read it
            plain = {r["id"]: r for r in rows_of(download(server, format="csv", lang="fr"))}
            if plain.get("claim/formula", {}).get("label", "").startswith("="):
                break
            assert time.monotonic() < deadline, plain.get("claim/formula")
            time.sleep(0.5)
        excel = {r["id"]: r for r in rows_of(
            download(server, format="csv", lang="fr", **{"for": "excel"}), ";")}
        assert excel["claim/formula"]["label"] == "'" + plain["claim/formula"]["label"]
        # Everything else is written as it is.
        del plain["claim/formula"], excel["claim/formula"]
        assert excel == plain
