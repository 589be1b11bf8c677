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
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return create_app(self.settings)


def run(settings: Mapping[str, Any], host: str, port: int, workers: int | None) -> None:
    """Serve until interrupted; fail with a clear message when the store cannot open."""
    if workers:
        if settings["STORE"] == "oxigraph" and not settings["DATA"]:
            # Load once here, so that the workers only open it.
            prepare_store(Path(settings["HOME"]) / "dist" / "dmkg.nq", Path(settings["STORE_DIR"]))
        _Gunicorn(settings, {"bind": f"{host}:{port}", "workers": workers,
                             "worker_class": "sync", "accesslog": "-",
                             "preload_app": False}).run()
        return
    try:
        app = create_app(settings)
    except StoreUnavailable as error:
        raise click.ClickException(str(error)) from error
    app.run(host=host, port=port, debug=False, use_reloader=False, threaded=True)
