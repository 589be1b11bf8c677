"""The legal status of an entity on a day, answered by the status-at-date competency question."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from kg.namespaces import DMR
from kg.queryfiles import read_query
from kg.store import Backend, Value, date_value

QUERY = "cq16-status-at-date.rq"
HELD = {"in force", "uncertain", "confirmed"}  # the states in which a measure may apply
COLUMNS = ("measure", "label", "status", "from", "until", "as_of", "state", "instrument",
           "jurisdiction")


def status_at(backend: Backend, queries_dir: Path, entity: str, day: dt.date,
              jurisdiction: str | None) -> list[dict[str, Any]]:
    """Return the measures on entity (an IRI) that held on day, in jurisdiction if given."""
    query = read_query(queries_dir / QUERY)
    bindings: dict[str, Value] = {"entity": entity, "at": date_value(day)}
    if jurisdiction:
        bindings["jurisdiction"] = jurisdiction
    rows = backend.select(query.text, bindings)
    found = []
    for row in rows:
        if str(row["state"]) not in HELD:
            continue
        item: dict[str, Any] = {c: (str(row[c]) if c in row else None) for c in COLUMNS}
        item["id"] = item["measure"].removeprefix(str(DMR))
        item["jurisdiction"] = item["jurisdiction"].removeprefix(str(DMR))
        item["from_"] = item.pop("from")  # the schema's attribute for the "from" key
        found.append(item)
    return found
