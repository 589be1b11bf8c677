"""Apache Jena's `arq.rsparql`, with its defaults, runs every query form against the endpoint:
on the default store and on Virtuoso behind the service."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import jena
from tests.live import LiveServer

pytestmark = [pytest.mark.skipif(not jena.available(), reason="Java or Debian's Jena is missing"),
              pytest.mark.slow]  # Jena's command line on Java

KETAMINE = "<https://w3id.org/dmkg/id/substance/ketamine>"
LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
# Each query form, and what Jena prints of its answer.
FORMS = {
    "SELECT": (f"SELECT ?label WHERE {{ {KETAMINE} {LABEL} ?label }} ORDER BY ?label",
               '"kétamine"@fr'),
    "ASK": (f"ASK {{ {KETAMINE} {LABEL} ?label }}", "Ask => Yes"),
    "ASK-false": (f"ASK {{ {KETAMINE} {LABEL} \"no such name\" }}", "Ask => No"),
    "CONSTRUCT": (f"CONSTRUCT {{ {KETAMINE} {LABEL} ?l }} WHERE {{ {KETAMINE} {LABEL} ?l }}",
                  '"kétamine"@fr'),
    "DESCRIBE": (f"DESCRIBE {KETAMINE}", '"kétamine"@fr'),
}
# --results options of rsparql: how Jena prints what it read (its request is the same).
RESULTS = {"SELECT": ("json", "xml", "csv"), "ASK": ("json",), "CONSTRUCT": ("rdf", "nt")}


def _run(workdir: Path, server: LiveServer, form: str, *options: str) -> str:
    query, expected = FORMS[form]
    done = jena.rsparql(workdir, f"{server.url}/sparql", query, *options)
    assert done.returncode == 0, done.stderr
    assert "Exception" not in done.stderr and "SLF4J" not in done.stderr, done.stderr
    if not options:
        assert expected in done.stdout, done.stdout
    return done.stdout


@pytest.mark.parametrize("form", sorted(FORMS))
def test_every_form_with_jena_defaults(tmp_path: Path, live_server: LiveServer,
                                       form: str) -> None:
    _run(tmp_path, live_server, form)


@pytest.mark.parametrize(("form", "results"), [(form, fmt) for form, formats in RESULTS.items()
                                                for fmt in formats])
def test_every_form_in_jena_result_formats(tmp_path: Path, live_server: LiveServer, form: str,
                                           results: str) -> None:
    printed = _run(tmp_path, live_server, form, f"--results={results}")
    assert "tamine" in printed or "true" in printed, printed


@pytest.mark.parametrize("form", sorted(FORMS))
def test_every_form_with_jena_on_virtuoso(tmp_path: Path, service_on_virtuoso: LiveServer,
                                          form: str) -> None:
    _run(tmp_path, service_on_virtuoso, form)
