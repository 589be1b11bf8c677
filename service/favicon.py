"""The site's icon at /favicon.ico, where browsers look for it."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, send_from_directory

blueprint = Blueprint("favicon", __name__)


@blueprint.get("/favicon.ico")
def favicon() -> Response:
    """Serve the icon (a drawing of three linked nodes), kept a day by caches."""
    static = current_app.static_folder or "static"
    return send_from_directory(static, "favicon.ico", mimetype="image/vnd.microsoft.icon",
                               max_age=86400)
