"""Lists to browse: individuals per kind and per class, and the class tree with its counts."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Response, render_template, request

from kg.catalogue import Catalogue, CatalogueEntry, fold
from kg.namespaces import DMO, ENTITY_KINDS, GRAPH
from kg.search.query import control_character
from kg.store import Backend
from service.errors import ServiceError
from service.i18n import KIND_NAMES, WORDS, page_language
from service.paging import Paging, choice, with_args
from service.services import services

blueprint = Blueprint("browse", __name__)

SUBCLASSES = f"""
SELECT DISTINCT ?class ?parent WHERE {{
  GRAPH <{GRAPH.ontology}> {{ ?class <http://www.w3.org/2000/01/rdf-schema#subClassOf> ?parent }}
  FILTER(isIRI(?parent) && STRSTARTS(STR(?class), "{DMO}") && STRSTARTS(STR(?parent), "{DMO}"))
}}"""


@dataclass
class ClassNode:
    """A DMO class with how many individuals it has (its subclasses' included), its
    subclasses, and how their counts add up to its own: how many of its individuals are in
    none of them, and how many more the subclasses count for individuals in several."""

    name: str
    label: str
    count: int
    children: list[ClassNode] = field(default_factory=list)
    in_no_subclass: int = 0
    counted_twice: int = 0
    # Listed here though the ontology puts it elsewhere: all its individuals are of this class.
    by_members: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "iri": str(DMO[self.name]), "label": self.label,
                "count": self.count, "in_no_subclass": self.in_no_subclass,
                "counted_twice": self.counted_twice, "by_members": self.by_members,
                "subclasses": [c.as_json() for c in self.children]}


def _catalogue() -> Catalogue:
    found: Catalogue = services().catalogue
    return found


def _parents(backend: Backend) -> dict[str, set[str]]:
    """Each DMO class's direct DMO superclasses (read once per data version)."""
    kept = services().derived.class_parents
    if kept is None:
        kept = {}
        for child, parent in backend.select_values(SUBCLASSES):
            name, above = str(child).removeprefix(str(DMO)), str(parent).removeprefix(str(DMO))
            if name != above:
                kept.setdefault(name, set()).add(above)
        services().derived.class_parents = kept
    return kept


def _ancestors(parents: dict[str, set[str]]) -> dict[str, set[str]]:
    """Each class's superclasses, however far up."""
    found: dict[str, set[str]] = {}

    def above(name: str, path: frozenset[str]) -> set[str]:
        if name not in found:
            direct = parents.get(name, set()) - path
            found[name] = direct.union(*(above(p, path | {p}) for p in direct))
        return found[name]

    for name in parents:
        above(name, frozenset({name}))
    return found


def _member_parents(members: dict[str, set[str]],
                    ancestors: dict[str, set[str]]) -> dict[str, set[str]]:
    """Classes each class's individuals all belong to though the ontology does not say it
    is below them (legal texts are sources by what claims say of them): the most general
    class of each such branch only."""
    found: dict[str, set[str]] = {}
    for child, held in members.items():
        holders = {parent for parent, more in members.items()
                   if parent != child and held < more
                   and parent not in ancestors.get(child, set())
                   and child not in ancestors.get(parent, set())}
        # Below the most general: a holder whose own superclass holds the class too is left out,
        # and so is one that a superclass of the class is listed under.
        found[child] = {parent for parent in holders
                        if not ancestors.get(parent, set()) & holders
                        and not any(members[a] <= members[parent]
                                    for a in ancestors.get(child, set()))}
    return {child: parents for child, parents in found.items() if parents}


def class_tree(catalogue: Catalogue, backend: Backend, lang: str) -> list[ClassNode]:
    """The classes that have individuals, as a tree from the most general ones. A class is
    listed under a class all its individuals belong to even when the ontology does not put it
    there, so that a class's subclasses account for its count."""
    counts = catalogue.type_counts()
    parents = {name: {p for p in above if p in counts}
               for name, above in _parents(backend).items() if name in counts}
    members = {name: {e.id for e in catalogue.of_type(name)} for name in counts}
    ancestors = _ancestors(parents)
    by_members = _member_parents(members, ancestors)

    def node(name: str, path: frozenset[str], listed_by_members: bool = False) -> ClassNode:
        below = {c for c, above in parents.items() if name in above and c not in path}
        extra = {c for c, above in by_members.items() if name in above and c not in path} - below
        children = sorted(below | extra, key=lambda c: (-counts[c], c))
        covered = set().union(*(members[c] for c in children))
        return ClassNode(name, catalogue.label(str(DMO[name]), lang) or name, counts[name],
                         [node(c, path | {c}, c in extra) for c in children],
                         in_no_subclass=len(members[name] - covered) if children else 0,
                         counted_twice=sum(counts[c] for c in children) - len(covered),
                         by_members=listed_by_members)

    roots = sorted((n for n in counts if not parents.get(n)), key=lambda n: (-counts[n], n))
    return [node(name, frozenset({name})) for name in roots]


def kind_counts(catalogue: Catalogue, lang: str) -> list[tuple[str, int]]:
    """How many individuals of each kind (the first part of their ids), in the alphabetical
    order of the kinds' names in lang."""
    names = KIND_NAMES[lang]
    return sorted(catalogue.kind_counts().items(),
                  key=lambda item: (fold(names.get(item[0], item[0])), item[0]))


def _page(template: str, lang: str, twin: str, **context: Any) -> Response:
    other = "fr" if lang == "en" else "en"
    html = render_template(template, lang=lang, words=WORDS[lang],
                           switch=with_args(lang=other), with_args=with_args, **context)
    response = Response(html, content_type="text/html; charset=utf-8")
    response.headers["Content-Language"] = lang
    response.headers["Link"] = f'<{twin}>; rel="alternate"; type="application/json"'
    return response


def _json(data: Any) -> Response:
    return Response(json.dumps(data, ensure_ascii=False, indent=1),
                    content_type="application/json")


def _twin() -> str:
    return with_args(format="json")


@blueprint.get("/browse")
def overview() -> Response:
    """Every kind and every class, with how many individuals each has."""
    catalogue, backend = _catalogue(), services().backend
    lang = page_language()
    kinds, tree = kind_counts(catalogue, lang), class_tree(catalogue, backend, lang)
    if choice("format", ("html", "json")) == "json":
        return _json({"kinds": [{"kind": k, "count": n, "list": f"/browse/{k}"}
                                for k, n in kinds],
                      "classes": [n.as_json() for n in tree]})
    return _page("browse.html", lang, _twin(), kinds=kinds, tree=tree)


def _matches(entity: CatalogueEntry, folded: str) -> bool:
    names = [*entity.labels.values(), *(name for _, name in entity.alt_labels), entity.id]
    return any(folded in fold(name) for name in names)


def _listing(entities: list[CatalogueEntry], title: str, lang: str, **context: Any) -> Response:
    text = request.args.get("q", "").strip()[:200]
    if found := control_character(text):
        raise ServiceError(400, f"the filter text holds a control character ({found})")
    sort = choice("sort", ("name", "id"))
    order = choice("order", ("asc", "desc"))
    paging = Paging.from_request()
    if text:
        folded = fold(text)
        entities = [e for e in entities if _matches(e, folded)]
    entities.sort(key=(lambda e: (fold(e.label(lang)), e.id)) if sort == "name"
                  else (lambda e: e.id), reverse=order == "desc")
    shown = paging.cut(entities)
    if not shown and paging.page > 1:
        raise ServiceError(404, f"page {paging.page} is past the last page of this list")
    catalogue = _catalogue()
    rows = [{"id": e.id, "iri": e.iri, "label": e.label(lang), "kind": e.kind,
             "types": sorted(e.types),
             "type_labels": sorted(catalogue.label(str(DMO[t]), lang) or t for t in e.types)}
            for e in shown]
    if choice("format", ("html", "json")) == "json":
        return _json({**paging.links(len(entities)), "results": rows})
    return _page("browse_list.html", lang, _twin(), title=title, rows=rows, filter_text=text,
                 sort=sort, order=order, paging=paging.links(len(entities)), **context)


@blueprint.get("/browse/<string:kind>")
def by_kind(kind: str) -> Response:
    """The individuals of one kind, paged, sortable and filterable by name."""
    if kind not in ENTITY_KINDS:
        raise ServiceError(404, f"no kind {kind!r}; kinds: {', '.join(ENTITY_KINDS)}")
    lang = page_language()
    entities = _catalogue().of_kind(kind)
    return _listing(entities, KIND_NAMES[lang].get(kind, kind), lang, kind=kind)


@blueprint.get("/browse/class/<string:name>")
def by_class(name: str) -> Response:
    """The individuals of one DMO class (its subclasses' included), with its subclasses."""
    catalogue, backend = _catalogue(), services().backend
    if str(DMO[name]) not in catalogue.terms:
        raise ServiceError(404, f"no DMO class {name!r}")
    lang = page_language()
    entities = catalogue.of_type(name)
    found = [n for n in _walk(class_tree(catalogue, backend, lang)) if n.name == name]
    label = catalogue.label(str(DMO[name]), lang) or name
    return _listing(entities, label, lang, node=found[0] if found else None, class_name=name)


def _walk(nodes: list[ClassNode]) -> list[ClassNode]:
    return [m for n in nodes for m in (n, *_walk(n.children))]
