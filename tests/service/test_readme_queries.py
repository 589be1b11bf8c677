"""The README's SPARQL examples, run over HTTP, give what the README says."""

from __future__ import annotations

import json
import re
from urllib.parse import urlencode

from kg.paths import Layout
from tests.http import request
from tests.live import LiveServer


def _select(server: LiveServer, query: str) -> list[dict[str, dict[str, str]]]:
    reply = request("GET", f"{server.url}/sparql?{urlencode({'query': query})}",
                    headers={"Accept": "application/sparql-results+json"})
    assert reply.status == 200, reply.text
    rows: list[dict[str, dict[str, str]]] = json.loads(reply.body)["results"]["bindings"]
    return rows


def test_the_date_filter_example_keeps_years_and_year_months(live_server: LiveServer,
                                                            layout: Layout) -> None:
    readme = (layout.root / "README.md").read_text(encoding="utf-8")
    section = readme.split("Dates are `xsd:date`", 1)[1]
    example = re.search(r"```sparql\n(.*?)```", section, re.S)
    assert example is not None
    rows = _select(live_server, example.group(1))
    kinds = {row["from"].get("datatype", "").rsplit("#", 1)[-1] for row in rows}
    assert {"date", "gYear"} <= kinds, kinds
    # Every value from 1997 on, whatever its precision.
    everything = _select(live_server, "PREFIX dmo: <https://w3id.org/dmkg/ontology#> SELECT "
                                      "?measure ?from WHERE { ?measure dmo:effectiveFrom ?from }")
    wanted = [r for r in everything if int(r["from"]["value"][:4]) >= 1997]
    assert len(rows) == len(wanted)
