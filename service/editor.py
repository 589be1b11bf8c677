"""The query editor page: YASGUI with the competency questions in a menu, or a shared query.

Written by the SPARQL endpoint outside Flask's request dispatch (service/sparql.py): with the
application's templates, its links built from Flask's URL map for the request's address.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response
from werkzeug.wrappers import Request

from kg.formats import GRAPH_FORMATS, RESULT_FORMATS
from kg.queryfiles import read_queries
from kg.store import DatasetSpec
from service.answers import respond
from service.i18n import EDITOR_WORDS, chrome_words, language_of, remember_language
from service.services import Services


def editor_page(flask: Flask, found: Services, asking: Request, query: str | None = None,
                dataset: DatasetSpec | None = None) -> Response:
    """The editor; with query, open it in a tab and run it on the dataset the link names."""
    examples = [{"name": q.title, "description": q.description, "query": q.text}
                for q in read_queries(found.layout.queries_dir)]
    lang = language_of(asking)
    graphs = dataset or DatasetSpec()
    links = flask.url_map.bind_to_environ(asking.environ)

    def url_for(endpoint: str, **values: Any) -> str:
        """Flask's url_for for this request, as the pages' templates call it."""
        return links.build(endpoint, values)

    html = flask.jinja_env.get_template("editor.html").render(
        url_for=url_for, examples=examples, query=query, lang=lang,
        description_formats=GRAPH_FORMATS, result_formats=RESULT_FORMATS,
        words=EDITOR_WORDS[lang], chrome=chrome_words(lang), dataset={
            "defaultGraphs": list(graphs.default_graphs),
            "namedGraphs": list(graphs.named_graphs)})
    # Its Vary names the language's headers: the endpoint's family says so for its pages.
    return remember_language(asking, respond(html, "text/html; charset=utf-8"))
