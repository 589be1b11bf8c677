"""DMKG knowledge-graph toolkit: ontology checks, fact loading, the build and the store layer."""

__version__ = "0.1.0"
