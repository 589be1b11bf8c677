"""The services of an application: what pages derive from the data is typed and forgotten whole."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest
from rdflib import Graph

from service.services import Derived


def test_clearing_forgets_everything_pages_derived_from_the_data() -> None:
    derived = Derived(claim_counts={"kind": Counter(a=1)}, void=Graph(),
                      class_parents={"Substance": {"Thing"}}, claim_facets=[])
    derived.clear()
    assert derived == Derived()


def test_each_application_owns_its_time_limit_runner(tmp_path: Path) -> None:
    import service.limits
    from service.app import create_app
    from service.limits import Deadline, DeadlineRunner, QueryTimeout
    from service.services import services

    data = tmp_path / "one.ttl"
    data.write_text("<urn:a> <urn:b> <urn:c> .\n", encoding="utf-8")
    config = {"HOME": str(tmp_path), "STORE": "memory", "DATA": [str(data)],
              "QUERY_MEMORY_MB": "7"}
    first, second = (services(create_app(config)) for _ in range(2))
    # No runner shared by the process: each application has its own, with its own cap.
    assert not any(isinstance(v, DeadlineRunner) for v in vars(service.limits).values())
    assert first.runner is not second.runner
    assert first.runner.memory.limit == 7 << 20
    # Outside a server that can replace the process, a query past its limit is answered
    # and the process is not retired.
    with pytest.raises(QueryTimeout):
        first.runner.run(lambda: time.sleep(0.5), Deadline.after(0.05))
    assert first.runner.retiring and not second.runner.retiring
