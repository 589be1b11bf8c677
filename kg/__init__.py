"""DMKG knowledge-graph toolkit: ontology checks, fact loading, the build and the store layer."""

from kg.version import project_version

__version__ = project_version()
