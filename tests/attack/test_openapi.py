"""schemathesis against the live OpenAPI document: no 5xx, no answer outside the schema."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.live import LiveServer
from tests.profiles import examples


@pytest.fixture(scope="module")
def operations(live_server: LiveServer) -> list[Any]:
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/openapi.json")
    found = [result.ok() for result in schema.get_all_operations()]
    assert len(found) >= 8
    return found


@given(data=st.data())
@settings(max_examples=examples(400), deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
@pytest.mark.slow
def test_the_api_keeps_to_its_schema(live_server: LiveServer, operations: list[Any],
                                     data: st.DataObject) -> None:
    operation = data.draw(st.sampled_from(operations))
    case = data.draw(operation.as_strategy())
    case.call_and_validate(base_url=live_server.url)
