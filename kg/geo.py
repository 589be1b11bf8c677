"""The boundary dataset, projected for drawing: Natural Earth countries from the vendored
world-atlas TopoJSON. The places' coordinates are facts of the graph (geo:lat, geo:long)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


@dataclass(frozen=True)
class View:
    """A rectangle of the earth drawn into a width by height picture (equirectangular, with
    longitudes shrunk by the cosine of the middle latitude so that shapes look right)."""

    west: float
    south: float
    east: float
    north: float
    width: int

    @property
    def factor(self) -> float:
        return math.cos(math.radians((self.south + self.north) / 2))

    @property
    def height(self) -> int:
        span = (self.east - self.west) * self.factor
        return round(self.width * (self.north - self.south) / span)

    def project(self, longitude: float, latitude: float) -> tuple[float, float]:
        """The point of the picture for a place on the earth."""
        scale = self.width / ((self.east - self.west) * self.factor)
        return ((longitude - self.west) * self.factor * scale,
                (self.north - latitude) * scale)

    def holds(self, longitude: float, latitude: float) -> bool:
        return self.west <= longitude <= self.east and self.south <= latitude <= self.north


def _arcs(topology: dict[str, object]) -> list[list[tuple[float, float]]]:
    """Decode TopoJSON's delta-encoded, quantized arcs into longitude/latitude pairs."""
    transform = topology["transform"]
    assert isinstance(transform, dict)
    (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
    decoded = []
    arcs = topology["arcs"]
    assert isinstance(arcs, list)
    for arc in arcs:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        decoded.append(points)
    return decoded


def _ring(arcs: list[list[tuple[float, float]]], indexes: list[int]) -> list[tuple[float, float]]:
    ring: list[tuple[float, float]] = []
    for index in indexes:
        points = arcs[index] if index >= 0 else arcs[~index][::-1]  # ~i: arc i reversed
        ring.extend(points[1:] if ring else points)
    return ring


def _polygons(geometry: dict[str, object]) -> Iterator[list[list[int]]]:
    kind, arcs = geometry.get("type"), geometry.get("arcs")
    if kind == "Polygon" and isinstance(arcs, list):
        yield arcs
    elif kind == "MultiPolygon" and isinstance(arcs, list):
        yield from arcs


@lru_cache(maxsize=4)
def boundary_paths(topojson: Path, view: View) -> tuple[tuple[str, str, str], ...]:
    """(ISO 3166 numeric code, English name, SVG path) of each country seen in view, its
    rings projected."""
    topology = json.loads(topojson.read_text(encoding="utf-8"))
    arcs = _arcs(topology)
    drawn = []
    margin = 3.0  # degrees: rings just outside still cross the edge of the picture
    for geometry in topology["objects"]["countries"]["geometries"]:
        parts = []
        for polygon in _polygons(geometry):
            for indexes in polygon:
                ring = _ring(arcs, indexes)
                if not any(view.west - margin <= x <= view.east + margin
                           and view.south - margin <= y <= view.north + margin
                           for x, y in ring):
                    continue
                points = [view.project(x, y) for x, y in ring]
                parts.append("M" + "L".join(f"{px:.1f},{py:.1f}" for px, py in points) + "Z")
        if parts:
            name = (geometry.get("properties") or {}).get("name", "")
            drawn.append((str(geometry.get("id", "")), str(name), "".join(parts)))
    return tuple(drawn)
