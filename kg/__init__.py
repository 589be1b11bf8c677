"""DMKG knowledge-graph toolkit: ontology checks, fact loading, the build and the store layer."""

from kg.version import project_version


def __getattr__(name: str) -> str:
    # __version__ is read from pyproject.toml when first asked for, not when kg is imported.
    if name == "__version__":
        return project_version()
    raise AttributeError(f"module 'kg' has no attribute {name!r}")
