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


def dmkg_under_granian() -> None:
    """Serve DMKG (in-memory store) under granian's Rust HTTP front, for comparison only.

    python -m bench.apps PORT WORKERS: the application is built once and the forked workers
    share it, as under gunicorn; none of the server's process hooks (network isolation, time
    limit, memory cap) is installed. Not the service's front (granian 2.8): it calls the
    application before a request's body has arrived, so a client sending its body slowly
    holds a thread; it gives the application no socket on which the memory cap can answer
    before the process ends; its main process stops serving altogether when a worker ends
    twice within 5.5 s, which queries outliving the time limit would make happen.
    """
    import sys

    from granian.constants import Interfaces
    from granian.server.mp import MPServer

    from service.app import create_app

    application = create_app({"STORE": "memory"})
    server = MPServer("dmkg", address="127.0.0.1", port=int(sys.argv[1]),
                      interface=Interfaces.WSGI, workers=int(sys.argv[2]), blocking_threads=1,
                      log_level="warning")
    server.serve(target_loader=lambda *_: application, wrap_loader=False)


if __name__ == "__main__":
    dmkg_under_granian()
