"""The query editor page: YASGUI with the competency questions in a menu, or a shared query."""

from __future__ import annotations

from flask import Response, current_app, render_template
from werkzeug import Request
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from kg.formats import ALIASES, FORMAT_PARAMETERS, GRAPH_FORMATS, RESULT_FORMATS
from kg.queryfiles import read_queries
from kg.store import DatasetSpec
from service.answers import respond
from service.i18n import EDITOR_WORDS, page_language

PAGE_TYPES = {"text/html", "application/xhtml+xml"}
ANSWER_TYPES = frozenset({f.media_type for f in (*RESULT_FORMATS, *GRAPH_FORMATS)} | set(ALIASES))


def prefers_html(request: Request) -> bool:
    """Whether a GET comes from a browser: it ranks an HTML type above every answer type."""
    if request.method != "GET" or any(p in request.args for p in FORMAT_PARAMETERS):
        return False
    accept = parse_accept_header(request.headers.get("Accept", ""), MIMEAccept)
    html = max((q for value, q in accept if value in PAGE_TYPES), default=0.0)
    # Only the types an answer could take compete (a browser also names images at q=1).
    answers = max((q for value, q in accept if value in ANSWER_TYPES), default=0.0)
    return html > 0 and html > answers


def editor_page(query: str | None = None, dataset: DatasetSpec | None = None) -> Response:
    """The editor; with query, open it in a tab and run it on the dataset the link names."""
    layout = current_app.extensions["dmkg.layout"]
    examples = [{"name": q.title, "description": q.description, "query": q.text}
                for q in read_queries(layout.queries_dir)]
    lang = page_language()
    graphs = dataset or DatasetSpec()
    html = render_template("editor.html", examples=examples, query=query, lang=lang,
                           description_formats=GRAPH_FORMATS,
                           words=EDITOR_WORDS[lang], dataset={
                               "defaultGraphs": list(graphs.default_graphs),
                               "namedGraphs": list(graphs.named_graphs)})
    return respond(html, "text/html; charset=utf-8")
