"""Analyse and rewrite SPARQL text, token by token, as Oxigraph reads it.

The tokens come from kg.sparql_reading, which reads escapes, comments and keywords as Oxigraph
does; no escape is decoded here. The store layer hands these functions the plain form of a
query (kg.sparql_reading.plain), which is also what it executes.
"""

from __future__ import annotations

import threading

from kg.sparql_reading import Token, tokens
from kg.text_cache import text_cache

__all__ = ["Token", "tokens"]

# rdflib's SPARQL parser (pyparsing) keeps state between calls: two threads parsing at once
# break it for good. Every use of it in a process takes this lock.
PARSER_LOCK = threading.RLock()


@text_cache(1024)
def keywords(text: str) -> frozenset[str]:
    """Return the upper-cased bare words of text (keywords, function names, `a`)."""
    return frozenset(t.text.upper() for t in tokens(text) if t.kind == "word")


def has_dataset_clause(text: str) -> bool:
    """Tell whether a query names its own dataset with FROM or FROM NAMED."""
    return "FROM" in keywords(text)


# Words that make an engine reach out over the network.
REMOTE_KEYWORDS = frozenset({"SERVICE", "LOAD"})


def remote_operations(text: str) -> tuple[str, ...]:
    """Return the operations of a text in plain form that would fetch from the network.

    In the plain form every bare word is a whole SPARQL keyword, so SERVICE and LOAD are
    found as tokens; kg.sparql_reading.plain makes sure no reader splits words otherwise.
    """
    return tuple(sorted({t.text.upper() for t in tokens(text)
                         if t.kind == "word" and t.text.upper() in REMOTE_KEYWORDS}))


def without_dataset_clauses(text: str) -> str:
    """Return the query without its FROM and FROM NAMED clauses.

    The SPARQL Protocol says a dataset given with the request replaces the query's own;
    servers that merge the two instead are sent the query without it.
    """
    source = text
    cuts: list[tuple[int, int]] = []
    found = tokens(source)
    for index, token in enumerate(found):
        if not token.is_keyword("FROM"):
            continue
        end = index + 1
        if end < len(found) and found[end].is_keyword("NAMED"):
            end += 1
        if end < len(found) and found[end].kind in {"iri", "pname"}:
            cuts.append((token.start, found[end].end))
    for start, end in reversed(cuts):
        source = source[:start] + source[end:]
    return source


def dataset_clauses(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return the graphs a query text in plain form names with FROM and with FROM NAMED."""
    found = tokens(text)
    default: list[str] = []
    named: list[str] = []
    for index, token in enumerate(found):
        if not token.is_keyword("FROM"):
            continue
        end = index + 1
        into = default
        if end < len(found) and found[end].is_keyword("NAMED"):
            end, into = end + 1, named
        if end < len(found) and found[end].kind == "iri":
            into.append(found[end].text[1:-1])
    return tuple(dict.fromkeys(default)), tuple(dict.fromkeys(named))


QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


def query_form(text: str) -> str | None:
    """Return SELECT, ASK, CONSTRUCT or DESCRIBE: the first of them among the tokens."""
    for token in tokens(text):
        for form in QUERY_FORMS:
            if token.is_keyword(form):
                return form
    return None


# Oxigraph reads LIMIT and OFFSET as 64-bit unsigned integers and refuses larger ones.
ENGINE_COUNT_MAX = 2**64 - 1


@text_cache(1024)
def with_row_limit(text: str, limit: int) -> str:
    """Return a SELECT query that yields at most limit solutions.

    The outermost query's LIMIT is lowered to limit, or one is added after its solution
    modifiers (before a trailing VALUES block). Other queries come back unchanged.
    """
    if query_form(text) != "SELECT":
        return text
    source = text
    found = tokens(source)
    depth = 0
    closes: list[int] = []  # indexes of the tokens closing a group at the top level
    trailing_values: int | None = None
    for index, token in enumerate(found):
        if token.text == "{" and token.kind == "punct":
            depth += 1
        elif token.text == "}" and token.kind == "punct":
            depth -= 1
            if depth == 0:
                closes.append(index)
        elif depth == 0 and token.is_keyword("VALUES") and closes:
            trailing_values = index
    if not closes:
        return text
    where_end = closes[-1]
    if trailing_values is not None:
        before = [c for c in closes if c < trailing_values]
        if not before:
            return text
        where_end = before[-1]
    stop = trailing_values if trailing_values is not None else len(found)
    for index in range(where_end + 1, stop - 1):
        if found[index].is_keyword("LIMIT") and found[index + 1].text.isdigit():
            number = found[index + 1]
            if int(number.text) <= limit or int(number.text) > ENGINE_COUNT_MAX:
                # Above the engine's range the text is left for the engine to refuse.
                return text
            return source[:number.start] + str(limit) + source[number.end:]
    cut = found[stop].start if stop < len(found) else len(source)
    return f"{source[:cut].rstrip()}\nLIMIT {limit}\n{source[cut:]}"


@text_cache(256)
def values_slot(text: str) -> tuple[str, int] | None:
    """Where a VALUES block may open a query's WHERE group: (the text, offset).

    Only for a SELECT or ASK without subqueries (a VALUES block does not reach into them);
    None otherwise. Bound this way, Oxigraph plans the query from the bound values, which
    it does not do for values given as substitutions.
    """
    found = tokens(text)
    forms = [t for t in found if any(t.is_keyword(form) for form in QUERY_FORMS)]
    if not forms or forms[0].text.upper() not in {"SELECT", "ASK"} or len(forms) > 1:
        return None
    braces = parens = 0
    for index, token in enumerate(found[:-1]):
        if token.kind == "punct":
            braces += {"{": 1, "}": -1}.get(token.text, 0)
            parens += {"(": 1, ")": -1}.get(token.text, 0)
        elif token.is_keyword("WHERE") and braces == 0 and parens == 0:
            opening = found[index + 1]
            if opening.kind == "punct" and opening.text == "{":
                return text, opening.end
            return None
    return None


def values_block(terms: dict[str, str]) -> str:
    """A one-row VALUES block binding each variable to a term already written as SPARQL."""
    return f"VALUES ({' '.join(f'?{name}' for name in terms)}) {{ ({' '.join(terms.values())}) }}"


def with_leading_values(text: str, block: str) -> str | None:
    """Return text with a VALUES block opening its WHERE group, or None where none can go."""
    slot = values_slot(text)
    if slot is None:
        return None
    source, at = slot
    return f"{source[:at]} {block} {source[at:]}"


# Graph operands of an update that stand for more than one graph or none by name.
DEFAULT, ALL, NAMED = "DEFAULT", "ALL", "NAMED"


class UpdateSyntaxError(ValueError):
    """An update that does not parse; the message is the parser's."""


def update_targets(text: str) -> set[str]:
    """Return the graphs an update may write: IRIs, DEFAULT, ALL, NAMED, or '?' for a variable.

    Read from the parsed update (rdflib), so that no spelling hides a target.
    """
    from rdflib import URIRef
    from rdflib.plugins.sparql.algebra import translateUpdate
    from rdflib.plugins.sparql.parser import parseUpdate

    with PARSER_LOCK:
        try:
            operations = translateUpdate(parseUpdate(text)).algebra
        except Exception as error:  # pyparsing and rdflib raise assorted exceptions
            raise UpdateSyntaxError(str(error)) from error

    def name(graph: object) -> str:
        if isinstance(graph, URIRef):
            return str(graph)
        if isinstance(graph, str) and graph.upper() in {DEFAULT, ALL, NAMED}:
            return graph.upper()
        return "?"

    found: set[str] = set()
    for operation in operations:
        kind = operation.name
        clauses: list[tuple[dict[str, object], str]] = []
        if kind in {"InsertData", "DeleteData", "DeleteWhere"}:
            clauses = [(dict(operation), DEFAULT)]
        elif kind == "Modify":
            fallback = name(operation.withClause) if operation.withClause else DEFAULT
            # CompValue.get answers a missing key with its name: read a plain dict instead.
            fields = dict(operation)
            clauses = [(dict(fields[key]), fallback) for key in ("delete", "insert")
                       if fields.get(key)]
        elif kind in {"Clear", "Drop", "Create"}:
            found.add(name(operation.graphiri))
        elif kind in {"Add", "Copy"}:
            found.add(name(operation.graph[1]))
        elif kind == "Move":
            found.update(name(graph) for graph in operation.graph)
        else:  # Load, refused elsewhere; anything new is treated as touching everything
            found.add(ALL)
        for clause, fallback in clauses:
            found.update(name(graph) for graph in clause.get("quads") or {})  # type: ignore[attr-defined]
            if clause.get("triples"):
                found.add(fallback)
    return found


def has_update_dataset(text: str) -> bool:
    """Tell whether an update names its own dataset with USING or WITH."""
    words = keywords(text)
    return "USING" in words or "WITH" in words


def with_using(text: str, default_graphs: tuple[str, ...], named_graphs: tuple[str, ...]) -> str:
    """Give every DELETE/INSERT … WHERE operation of an update USING (NAMED) clauses."""
    clauses = " ".join([*(f"USING <{g}>" for g in default_graphs),
                        *(f"USING NAMED <{g}>" for g in named_graphs)])
    if not clauses:
        return text
    source = text
    found = tokens(source)
    depth = 0
    cuts: list[int] = []
    for index, token in enumerate(found):
        if token.kind == "punct" and token.text == "{":
            depth += 1
        elif token.kind == "punct" and token.text == "}":
            depth -= 1
        elif depth == 0 and token.is_keyword("WHERE") and index > 0 \
                and not found[index - 1].is_keyword("DELETE"):
            cuts.append(token.start)
    for cut in reversed(cuts):
        source = f"{source[:cut]}{clauses} {source[cut:]}"
    return source
