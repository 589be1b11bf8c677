"""Fixtures of the service tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kg.paths import Layout
from tests.kg.cli import dmkg
from tests.live import LiveServer
from tests.virtuoso import Virtuoso


@pytest.fixture(scope="module")
def service_on_virtuoso(tmp_path_factory: pytest.TempPathFactory, built: Layout,
                        virtuoso: Virtuoso) -> Iterator[LiveServer]:
    """The service with the built dataset loaded into a real Virtuoso as its store.

    Loaded again for each module: the session's Virtuoso is shared with the store contract
    tests, which empty it, and a worker may run them between two modules that read it.
    """
    loaded = dmkg("load", "--target", virtuoso.endpoint, "--update-url",
                  virtuoso.update_endpoint, "--user", virtuoso.user, "--password",
                  virtuoso.password, "--quiet", home=built.root)
    assert loaded.returncode == 0, loaded.stderr
    with LiveServer(tmp_path_factory.mktemp("on-virtuoso"),
                    args=("--store", f"sparql+{virtuoso.endpoint}"), home=built.root) as server:
        yield server
