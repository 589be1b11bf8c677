"""The Flask application factory."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from kg.paths import Layout
from service.config import load_config


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the DMKG application from its configuration."""
    app = Flask(__name__)
    settings = load_config(overrides)
    app.config.update(settings)
    app.extensions["dmkg.layout"] = Layout(Path(settings["HOME"]))

    from service import ontology_pages

    app.register_blueprint(ontology_pages.blueprint)
    return app
