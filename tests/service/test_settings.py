"""The settings are typed, frozen and read once; every documented setting is read somewhere."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from kg.paths import Layout
from service.config import DEFAULTS, Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]


def _sources() -> str:
    """The code that may read settings: the service (but its configuration) and the stores."""
    files = [p for p in (ROOT / "service").glob("*.py") if p.name != "config.py"]
    files += list((ROOT / "kg" / "store").glob("*.py"))
    return "\n".join(p.read_text(encoding="utf-8") for p in files)


def test_every_setting_is_a_typed_field() -> None:
    names = {f.name for f in dataclasses.fields(Settings)}
    assert names == {key.lower() for key in DEFAULTS}


@pytest.mark.parametrize("key", sorted(DEFAULTS))
def test_every_setting_is_read(key: str) -> None:
    # Typed, as settings.NAME, or by name where the store factory takes them as a mapping.
    code = _sources()
    assert re.search(rf"\.{key.lower()}\b", code) or f'"{key}"' in code, key


def test_settings_are_frozen_and_typed(tmp_path: Path) -> None:
    settings = load_settings({"HOME": str(tmp_path), "QUERY_TIMEOUT": "2.5",
                              "TRUSTED_PROXIES": "10.0.0.1, 10.0.0.2", "DATA": ["a.ttl"]})
    assert settings.query_timeout == 2.5 and settings.data == ("a.ttl",)
    assert settings.trusted_proxies == frozenset({"10.0.0.1", "10.0.0.2"})
    assert settings.audit_log == tmp_path / "var" / "audit.log"
    assert settings.store_dir == tmp_path / "var" / "store"
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.query_timeout = 1.0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.storage.engine = "rdflib"  # type: ignore[misc]


def test_the_application_reads_the_settings_it_is_given_and_no_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from service.app import create_app
    from service.services import services

    data = tmp_path / "one.ttl"
    data.write_text("<urn:a> <urn:b> <urn:c> .\n", encoding="utf-8")
    settings = load_settings({"HOME": str(tmp_path), "STORE": "memory", "DATA": [str(data)],
                              "QUERY_TIMEOUT": "7", "RATE_LIMIT": "3"})
    # Read afterwards, any of these would fail the application or change what it serves.
    monkeypatch.setenv("DMKG_CONFIG", str(tmp_path / "missing.yaml"))
    monkeypatch.setenv("DMKG_STORE", "no-such-engine")
    monkeypatch.setenv("DMKG_QUERY_TIMEOUT", "not a number")
    monkeypatch.setenv("DMKG_DATA", str(tmp_path / "missing.ttl"))
    app = create_app(settings)
    found = services(app)
    assert found.settings is settings
    assert (found.limits.seconds, found.limiter.rate) == (7.0, 3.0)
    assert found.backend.graph_sizes() == {"": 1}
    answer = app.test_client().get("/sparql", query_string={"query": "ASK { <urn:a> ?p ?o }"},
                                   headers={"Accept": "application/sparql-results+json"})
    assert answer.status_code == 200 and answer.get_json()["boolean"] is True


def test_no_module_of_the_service_or_the_stores_reads_the_environment() -> None:
    # The settings are read once (service/config.py) and handed down from there.
    assert not re.search(r"os\.environ|getenv", _sources())


def test_the_iri_base_is_the_base_of_updates_only(built: Layout, tmp_path: Path) -> None:
    # The dataset's IRIs are the build's: a different IRI_BASE renames nothing the service
    # describes, and relative IRIs of updates resolve against it, whatever Host is named.
    from service.app import create_app

    (tmp_path / "tokens").write_text("tester settings-token-0123456789\n", encoding="utf-8")
    app = create_app(load_settings({"HOME": str(built.root), "IRI_BASE": "https://example.org/kg/",
                                    "STORE_DIR": str(tmp_path / "store"),
                                    "WRITE_TOKENS": str(tmp_path / "tokens"),
                                    "AUDIT_LOG": str(tmp_path / "audit.log")}))
    client = app.test_client()
    home = client.get("/", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert '"@id": "https://w3id.org/dmkg/dataset"' in home and "example.org" not in home
    void = client.get("/.well-known/void", headers={"Accept": "application/n-triples"})
    assert void.status_code == 200 and b"example.org" not in void.data
    written = client.post("/sparql", data="INSERT DATA { GRAPH <mine> { <a> <b> <c> } }",
                          headers={"Content-Type": "application/sparql-update",
                                   "Host": "attacker.example",
                                   "Authorization": "Bearer settings-token-0123456789"})
    assert written.status_code == 204, written.get_data(as_text=True)
    found = client.get("/sparql", query_string={
        "query": "ASK { GRAPH <https://example.org/kg/mine> { <https://example.org/kg/a> "
                 "<https://example.org/kg/b> <https://example.org/kg/c> } }"},
        headers={"Accept": "application/sparql-results+json"})
    assert found.get_json()["boolean"] is True
