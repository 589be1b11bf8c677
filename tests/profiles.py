"""Hypothesis profiles: "full" (the default, what `./dev test` and CI run) and "quick" (the
inner loop, `./dev test --quick`), chosen with pytest's --hypothesis-profile option."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

# Hypothesis' own default; the counts the tests give are meant for the full profile.
FULL_EXAMPLES = 100

settings.register_profile(
    "full", max_examples=FULL_EXAMPLES, deadline=None, derandomize=True,
    # The fuzzers share servers and stores across examples and take their time on purpose.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.register_profile("quick", parent=settings.get_profile("full"), max_examples=10)
settings.load_profile("full")


def examples(full: int) -> int:
    """The examples a test that draws `full` of them in the full profile draws in the one loaded
    (a tenth in the quick profile)."""
    return max(1, full * settings.default.max_examples // FULL_EXAMPLES)
