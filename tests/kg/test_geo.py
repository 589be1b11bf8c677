"""The curated coordinates and the boundary dataset the map draws from."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from kg.geo import View, boundary_paths, read_coordinates
from kg.paths import Layout

FRANCE = View(west=-5.6, south=41.2, east=10.0, north=51.4, width=640)


def test_every_coordinate_is_of_a_curated_place_with_its_source(layout: Layout) -> None:
    coordinates = read_coordinates(layout.facts_dir / "geo" / "coordinates.yaml")
    places = yaml.safe_load((layout.facts_dir / "places.yaml").read_text(encoding="utf-8"))
    ids = {entity["id"] for entity in places["entities"]}
    assert coordinates and set(coordinates) <= ids
    for entry in coordinates.values():
        assert entry.source.startswith(("http://", "https://")) and entry.read
        assert FRANCE.holds(entry.longitude, entry.latitude)


def test_bad_coordinates_are_refused(tmp_path: Path) -> None:
    entry = {"place": "place/lille", "latitude": 50.6, "longitude": 3.06,
             "source": "https://example.org/lille", "read": "50.6, 3.06", "verified": False}
    twice = tmp_path / "twice.yaml"
    twice.write_text(yaml.safe_dump({"coordinates": [entry, entry]}))
    with pytest.raises(ValueError, match="two coordinates"):
        read_coordinates(twice)
    for broken in ({**entry, "latitude": 95}, {**entry, "source": "somewhere"},
                   {k: v for k, v in entry.items() if k != "verified"}):
        path = tmp_path / "broken.yaml"
        path.write_text(yaml.safe_dump({"coordinates": [broken]}))
        with pytest.raises(ValidationError):
            read_coordinates(path)


def test_boundaries_project_into_the_picture(layout: Layout) -> None:
    view = FRANCE
    boundaries = (layout.root / "service" / "static" / "vendor" / "world-atlas-2.0.2"
                  / "countries-50m.json")
    assert view.project(-5.6, 51.4) == (0.0, 0.0)
    x, y = view.project(10.0, 41.2)
    assert abs(x - 640) < 1e-6 and abs(y - view.height) < 1  # height: whole pixels
    drawn = dict(boundary_paths(boundaries, view))
    assert {"France", "Spain", "Germany", "Belgium", "Switzerland", "Italy"} <= set(drawn)
    assert "Japan" not in drawn
    # Paris lies inside the bounding box of France's rings as drawn.
    numbers = [float(n) for part in drawn["France"].replace("M", " ").replace("L", " ")
               .replace("Z", " ").split() for n in part.split(",")]
    xs, ys = numbers[0::2], numbers[1::2]
    px, py = view.project(2.35, 48.86)
    assert min(xs) < px < max(xs) and min(ys) < py < max(ys)
