"""A broken fact file gets a precise message, and the build writes nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from kg.paths import Layout
from tests.kg.cli import dmkg


def _snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def previous_dist(sources_copy: Layout) -> Layout:
    """A dist/ from an earlier build that a failing build must not touch."""
    sources_copy.dist_dir.mkdir()
    (sources_copy.dist_dir / "dmkg.nq").write_text("<urn:a> <urn:b> <urn:c> <urn:g> .\n")
    (sources_copy.dist_dir / "report.json").write_text('{"input_digest": "old"}\n')
    return sources_copy


def _replace(layout: Layout, file: str, old: str, new: str) -> None:
    path = layout.facts_dir / file
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {file}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _line_of(layout: Layout, file: str, text: str) -> int:
    lines = (layout.facts_dir / file).read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


Breakage = Callable[[Layout], list[str]]


def yaml_syntax(layout: Layout) -> list[str]:
    _replace(layout, "places.yaml", "label: {en: Lille, fr: Lille}", "label: {en: Lille, fr: Lille")
    return ["places.yaml:", "not valid YAML"]


def missing_french_label(layout: Layout) -> list[str]:
    _replace(layout, "places.yaml", "label: {en: Metz, fr: Metz}", "label: {en: Metz}")
    line = _line_of(layout, "places.yaml", "label: {en: Metz}")
    return [f"places.yaml:{line}", "entities[10] (place/metz)", "field 'label.fr'",
            "Field required"]


def unknown_confidence(layout: Layout) -> list[str]:
    _replace(layout, "claims-jim-2017-03-14.yaml", "confidence: medium", "confidence: hihg")
    return ["claims-jim-2017-03-14.yaml:", "(claim/ofdt-t115-call-center-substances)",
            "field 'confidence'", "'high', 'medium' or 'low'", "got 'hihg'"]


def unknown_substance(layout: Layout) -> list[str]:
    _replace(layout, "claims-jim-2017-03-14.yaml", "about: [substance/crack, place/paris]",
             "about: [substance/cocaïne, place/paris]")
    return ["claims-jim-2017-03-14.yaml:", "(claim/ofdt-t115-crack-paris)", "field 'about'",
            "substance 'substance/cocaïne' does not exist", "did you mean 'substance/cocaine'?"]


def unknown_class(layout: Layout) -> list[str]:
    _replace(layout, "substances.yaml", "types: [Entactogen]", "types: [Entactogene]")
    return ["substances.yaml:", "(substance/mdma)", "field 'types'",
            "unknown DMO class 'Entactogene'", "did you mean 'Entactogen'?"]


def wrong_range(layout: Layout) -> list[str]:
    _replace(layout, "channels.yaml", "distributes: [substance/cocaine, substance/mdma,",
             "distributes: [place/paris, substance/mdma,")
    return ["channels.yaml:", "(channel/sms-ordering)", "field 'relations.distributes'",
            "'place/paris' is not a Substance"]


def unknown_property(layout: Layout) -> list[str]:
    _replace(layout, "channels.yaml", "operatesIn: [place/paris, place/bordeaux",
             "operateIn: [place/paris, place/bordeaux")
    return ["channels.yaml:", "(channel/drive)", "field 'relations.operateIn'",
            "unknown DMO object property", "did you mean 'operatesIn'?"]


def duplicate_id(layout: Layout) -> list[str]:
    _replace(layout, "places.yaml", "id: place/lyon", "id: place/metz")
    return ["places.yaml:", "'place/metz' is already defined at", "places.yaml:"]


def duplicate_ref(layout: Layout) -> list[str]:
    _replace(layout, "claims-regulation.yaml", "ref: R7", "ref: R8")
    return ["claims-regulation.yaml:", "(claim/un-1961-schedule-ii-codeine)", "field 'ref'",
            "ref 'R8' is already given to", "claims-regulation.yaml:"]


def bad_slug(layout: Layout) -> list[str]:
    _replace(layout, "places.yaml", "id: place/lyon", "id: place/Lyon City")
    return ["places.yaml:", "entities[11]", "field 'id'", "String should match pattern"]


def unknown_field(layout: Layout) -> list[str]:
    _replace(layout, "places.yaml", "    types: [Country]\n    label: {en: France, fr: France}",
             "    types: [Country]\n    lable: {en: France, fr: France}")
    return ["places.yaml:", "(place/france)", "field 'lable'", "Extra inputs are not permitted"]


def not_utf8(layout: Layout) -> list[str]:
    path = layout.facts_dir / "places.yaml"
    text = path.read_text(encoding="utf-8")
    line = next(i for i, row in enumerate(text.splitlines(), 1) if not row.isascii())
    path.write_bytes(text.encode("latin-1", errors="replace"))
    return [f"places.yaml:{line}: not UTF-8: byte 0x"]


def trend_without_subject(layout: Layout) -> list[str]:
    _replace(layout, "claims-jim-2017-03-14.yaml", "    trend_of: [substance/crack]\n", "")
    return ["claims-jim-2017-03-14.yaml:", "(claim/ofdt-t115-crack-paris)",
            "a trend needs trend_of: the thing that rises or falls"]


def trend_of_outside_about(layout: Layout) -> list[str]:
    _replace(layout, "claims-jim-2017-03-14.yaml", "    trend_of: [substance/crack]\n",
             "    trend_of: [place/lille]\n")
    return ["claims-jim-2017-03-14.yaml:", "(claim/ofdt-t115-crack-paris)", "field 'trend_of'",
            "'place/lille' is not among what the claim is about"]


def corroborated_by_itself(layout: Layout) -> list[str]:
    _replace(layout, "claims-regulation.yaml",
             "    corroborated_by: [source/ansm-2017-01-26-ketamine]\n",
             "    corroborated_by: [source/senat-qe-35603-2002]\n")
    return ["claims-regulation.yaml:", "(claim/ansm-ketamine-fr-stupefiants-1997)",
            "field 'corroborated_by'", "is the claim's own source"]


def coordinates_of_no_source(layout: Layout) -> list[str]:
    _replace(layout, "places.yaml", "      source: source/geonames-cities15000\n",
             "      source: source/geonames\n")
    return ["places.yaml:", "(place/paris)", "field 'location.source'",
            "source 'source/geonames' does not exist",
            "did you mean 'source/geonames-cities15000'?"]


BREAKAGES: dict[str, Breakage] = {
    "coordinates of no source": coordinates_of_no_source,
    "trend without its subject": trend_without_subject,
    "trend of something the claim is not about": trend_of_outside_about,
    "corroborated by its own source": corroborated_by_itself,
    "yaml syntax": yaml_syntax,
    "not UTF-8": not_utf8,
    "missing French label": missing_french_label,
    "unknown confidence": unknown_confidence,
    "unknown substance": unknown_substance,
    "unknown class": unknown_class,
    "wrong range": wrong_range,
    "unknown property": unknown_property,
    "duplicate id": duplicate_id,
    "duplicate ref": duplicate_ref,
    "bad slug": bad_slug,
    "unknown field": unknown_field,
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(BREAKAGES))
def test_broken_fact_file_is_named_precisely_and_nothing_is_written(
        previous_dist: Layout, name: str) -> None:
    expected = BREAKAGES[name](previous_dist)
    before = _snapshot(previous_dist.dist_dir)
    result = dmkg("build", home=previous_dist.root)
    assert result.returncode == 1
    message = " ".join(result.stderr.split())
    for part in expected:
        assert part in message, f"{part!r} not in {result.stderr}"
    assert "Traceback" not in result.stderr
    assert _snapshot(previous_dist.dist_dir) == before
    assert [p.name for p in previous_dist.root.iterdir() if p.name.startswith(".dist")] == []


@pytest.mark.slow
def test_an_inconsistency_found_by_hermit_fails_the_build(previous_dist: Layout) -> None:
    _replace(previous_dist, "actors.yaml", "    types: [Person]\n    label: {en: Michel Gandilhon",
             "    types: [Person, Organisation]\n    label: {en: Michel Gandilhon")
    before = _snapshot(previous_dist.dist_dir)
    result = dmkg("build", home=previous_dist.root)
    assert result.returncode == 1
    assert "reasoning" in result.stderr and "inconsistent" in result.stderr
    assert _snapshot(previous_dist.dist_dir) == before


@pytest.mark.slow
def test_a_shacl_violation_fails_the_build(previous_dist: Layout) -> None:
    _replace(previous_dist, "regulations.yaml", "    values:\n      effectiveFrom: 2001\n", "")
    before = _snapshot(previous_dist.dist_dir)
    result = dmkg("build", "--json", home=previous_dist.root)
    assert result.returncode == 1
    assert '"stage": "SHACL validation"' in result.stdout
    assert "regulation/ketamine-fr-theft-reporting-2001" in result.stdout
    assert "effective date" in result.stdout
    assert _snapshot(previous_dist.dist_dir) == before


@pytest.mark.slow
def test_all_problems_are_reported_at_once(sources_copy: Layout) -> None:
    expected = unknown_class(sources_copy) + unknown_confidence(sources_copy)
    result = dmkg("validate", home=sources_copy.root)
    assert result.returncode == 1
    message = " ".join(result.stderr.split())
    for part in expected:
        assert part in message
