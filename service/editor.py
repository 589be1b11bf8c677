"""The query editor page: YASGUI with the competency questions in a menu, or a shared query."""

from __future__ import annotations

from flask import Response, render_template

from kg.formats import GRAPH_FORMATS, RESULT_FORMATS
from kg.queryfiles import read_queries
from kg.store import DatasetSpec
from service.answers import respond
from service.i18n import EDITOR_WORDS, chrome_words, page_language
from service.services import services


def editor_page(query: str | None = None, dataset: DatasetSpec | None = None) -> Response:
    """The editor; with query, open it in a tab and run it on the dataset the link names."""
    layout = services().layout
    examples = [{"name": q.title, "description": q.description, "query": q.text}
                for q in read_queries(layout.queries_dir)]
    lang = page_language()
    graphs = dataset or DatasetSpec()
    html = render_template("editor.html", examples=examples, query=query, lang=lang,
                           description_formats=GRAPH_FORMATS, result_formats=RESULT_FORMATS,
                           words=EDITOR_WORDS[lang], chrome=chrome_words(lang), dataset={
                               "defaultGraphs": list(graphs.default_graphs),
                               "namedGraphs": list(graphs.named_graphs)})
    # Its Vary names the language's headers: the endpoint's family says so for its pages.
    response: Response = respond(html, "text/html; charset=utf-8")
    return response
