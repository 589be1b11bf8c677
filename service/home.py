"""The home page: what the graph is and where to go from here."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template

from service.sparql import backend

blueprint = Blueprint("home", __name__)


@blueprint.get("/")
def home() -> Response:
    """Explain the graph, give its size and link to its parts."""
    sizes = backend().graph_sizes()
    html = render_template("home.html", sizes=sizes, total=sum(sizes.values()),
                           data_mode=bool(current_app.config.get("DATA")))
    return Response(html, content_type="text/html; charset=utf-8")
