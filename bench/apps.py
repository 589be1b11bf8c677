"""The peer applications the benchmarks run beside DMKG."""

from __future__ import annotations

import os

from flask import Flask, jsonify
from flask.typing import ResponseReturnValue
from rdflib import Dataset


def hello() -> Flask:
    """A Flask app whose one route returns a small JSON document: the ceiling."""
    app = Flask("hello")

    @app.get("/hello")
    def greet() -> ResponseReturnValue:
        return jsonify(hello="world")

    return app


def rdflib_endpoint() -> object:
    """rdflib-endpoint serving the dataset named by DMKG_BENCH_DATA, union default graph."""
    from rdflib_endpoint import SparqlEndpoint

    data = Dataset(default_union=True)
    data.parse(os.environ["DMKG_BENCH_DATA"], format="nquads")
    return SparqlEndpoint(graph=data, path="/sparql", cors_enabled=True)
