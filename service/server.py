"""Run the application: Werkzeug's development server, or gunicorn with sync workers."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click
from flask import Flask
from gunicorn.app.base import BaseApplication

from kg.store.embedded import prepare_store
from kg.store.factory import StoreUnavailable
from service.app import create_app


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    """gunicorn serving create_app(settings); each worker opens the shared store read-only."""

    def __init__(self, settings: Mapping[str, Any], options: Mapping[str, Any]) -> None:
        self.settings = dict(settings)
        self.options = dict(options)
        self.application: Flask | None = None
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        # With preload_app the master builds the app once and the workers inherit it.
        if self.application is None:
            self.application = create_app(self.settings)
        return self.application


def run(settings: Mapping[str, Any], host: str, port: int, workers: int | None) -> None:
    """Serve until interrupted; fail with a clear message when the store cannot open."""
    if workers:
        on_disk = settings["STORE"] == "oxigraph" and not settings["DATA"]
        remote = str(settings["STORE"]).startswith("sparql+")
        if on_disk:
            # Load once here, so that each worker only opens it read-only.
            prepare_store(Path(settings["HOME"]) / "dist" / "dmkg.nq", Path(settings["STORE_DIR"]))
        # An in-memory store is loaded once in the master; forked workers share its pages.
        _Gunicorn(settings, {"bind": f"{host}:{port}", "workers": workers,
                             "worker_class": "sync",
                             "preload_app": not (on_disk or remote)}).run()
        return
    try:
        app = create_app(settings)
    except StoreUnavailable as error:
        raise click.ClickException(str(error)) from error
    app.run(host=host, port=port, debug=False, use_reloader=False, threaded=True)
