"""Analyse and rewrite SPARQL text, token by token, as Oxigraph reads it.

Each function takes a query already lexed (kg.sparql_reading.ReadQuery): the store layer
hands them the plain form of a query (kg.sparql_reading.read), which is also what it
executes, and a rewrite gives another such value, its tokens moved rather than read again.
No escape is decoded here.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

from kg.sparql_reading import KEPT_TEXT, QUERY_FORMS, ReadQuery, Token, is_absolute

__all__ = ["QUERY_FORMS", "ReadQuery", "Token"]

# rdflib's SPARQL parser (pyparsing) keeps state between calls: two threads parsing at once
# break it for good. Every use of it in a process takes this lock.
PARSER_LOCK = threading.RLock()


def has_dataset_clause(query: ReadQuery) -> bool:
    """Tell whether a query names its own dataset with FROM or FROM NAMED."""
    return "FROM" in query.words


# Words that make an engine reach out over the network.
REMOTE_KEYWORDS = frozenset({"SERVICE", "LOAD"})


def remote_operations(query: ReadQuery) -> tuple[str, ...]:
    """Return the operations of a query in plain form that would fetch from the network.

    In the plain form every bare word is a whole SPARQL keyword, so SERVICE and LOAD are
    found as tokens; kg.sparql_reading.read makes sure no reader splits words otherwise.
    """
    return tuple(sorted(query.words & REMOTE_KEYWORDS))


def without_dataset_clauses(query: ReadQuery) -> ReadQuery:
    """Return the query without its FROM and FROM NAMED clauses.

    The SPARQL Protocol says a dataset given with the request replaces the query's own;
    servers that merge the two instead are sent the query without it.
    """
    for start, end in reversed(query.dataset_clauses):
        query = query.replaced(start, end, "")
    return query


def dataset_clauses(query: ReadQuery) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return the graphs a query in plain form names with FROM and with FROM NAMED."""
    default: list[str] = []
    named: list[str] = []
    for start, end in query.dataset_clauses:
        clause = [t for t in query.tokens if t.start >= start and t.end <= end]
        if clause[-1].kind == "iri":
            into = named if clause[1].is_keyword("NAMED") else default
            into.append(clause[-1].text[1:-1])
    return tuple(dict.fromkeys(default)), tuple(dict.fromkeys(named))


# Oxigraph reads LIMIT and OFFSET as 64-bit unsigned integers and refuses larger ones.
ENGINE_COUNT_MAX = 2**64 - 1


def with_row_limit(query: ReadQuery, limit: int) -> ReadQuery:
    """Return a SELECT query that yields at most limit solutions.

    The outermost query's LIMIT is lowered to limit, or one is added after its solution
    modifiers (before a trailing VALUES block). Other queries come back unchanged.
    """
    if len(query.text) <= KEPT_TEXT:
        return _kept_row_limit(query, limit)
    return _row_limit(query, limit)


def _row_limit(query: ReadQuery, limit: int) -> ReadQuery:
    if query.form != "SELECT":
        return query
    found = query.tokens
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
        return query
    where_end = closes[-1]
    if trailing_values is not None:
        before = [c for c in closes if c < trailing_values]
        if not before:
            return query
        where_end = before[-1]
    stop = trailing_values if trailing_values is not None else len(found)
    number = str(limit)
    for index in range(where_end + 1, stop - 1):
        if found[index].is_keyword("LIMIT") and found[index + 1].text.isdigit():
            given = found[index + 1]
            if int(given.text) <= limit or int(given.text) > ENGINE_COUNT_MAX:
                # Above the engine's range the text is left for the engine to refuse.
                return query
            return query.replaced(given.start, given.end, number,
                                  (Token("number", number, 0, len(number)),))
    cut = found[stop].start if stop < len(found) else len(query.text)
    start = len(query.text[:cut].rstrip())
    return query.replaced(start, cut, f"\nLIMIT {number}\n",
                          (Token("word", "LIMIT", 1, 6), Token("number", number, 7,
                                                               7 + len(number))))


# Kept for the kept readings of short texts (found again by identity: see ReadQuery).
_kept_row_limit = lru_cache(maxsize=512)(_row_limit)


def values_slot(query: ReadQuery) -> int | None:
    """Where a VALUES block may open a query's WHERE group: the offset in its text.

    Only for a SELECT or ASK without subqueries (a VALUES block does not reach into them);
    None otherwise. Bound this way, Oxigraph plans the query from the bound values, which
    it does not do for values given as substitutions.
    """
    found = query.tokens
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
                return opening.end
            return None
    return None


def values_block(terms: dict[str, str]) -> str:
    """A one-row VALUES block binding each variable to a term already written as SPARQL."""
    return f"VALUES ({' '.join(f'?{name}' for name in terms)}) {{ ({' '.join(terms.values())}) }}"


def with_leading_values(query: ReadQuery, block: ReadQuery) -> ReadQuery | None:
    """Return query with a VALUES block opening its WHERE group, or None where none can go."""
    at = values_slot(query)
    if at is None:
        return None
    return query.replaced(at, at, f" {block.text} ", _moved(block.tokens, 1))


def with_trailing(query: ReadQuery, block: ReadQuery) -> ReadQuery:
    """Return query with block written after it, on a line of its own."""
    end = len(query.text)
    return query.replaced(end, end, f"\n{block.text}", _moved(block.tokens, 1))


def _moved(found: tuple[Token, ...], by: int) -> tuple[Token, ...]:
    return tuple(t._replace(start=t.start + by, end=t.end + by) for t in found)


# Graph operands of an update that stand for more than one graph or none by name.
DEFAULT, ALL, NAMED = "DEFAULT", "ALL", "NAMED"


class UpdateSyntaxError(ValueError):
    """An update that does not parse; the message is the parser's."""


# What a triple of INSERT DATA or DELETE DATA is written with (no variable, no brace, no
# SPARQL 1.2 triple term): within these, a brace is only a GRAPH block's.
_DATA_KINDS = frozenset({"iri", "string", "number", "lang", "bnode"})
_DATA_WORDS = frozenset({"A", "TRUE", "FALSE"})
_DATA_PUNCTS = frozenset({".", ",", ";", "[", "]", "(", ")", "^^"})


def _is(token: Token, punct: str) -> bool:
    return token.kind == "punct" and token.text == punct


def data_targets(update: ReadQuery) -> set[str] | None:
    """Return the graphs an update in plain form writes when it is INSERT DATA and DELETE DATA
    operations alone, read from its tokens (as the engine reads them); None for any other.

    Such an update is most of a large one's text, and rdflib's grammar (pyparsing) takes
    about a millisecond per triple to read it. Its triples hold no brace, no variable and
    no keyword but `a`, `true` and `false`, so each triple's graph is the GRAPH block it
    stands in (a block without triples writes nothing, as rdflib reads it too). A token
    outside that shape (a SPARQL 1.2 triple term, a prefixed name, a nested block) leaves
    the update to update_targets' parse.
    """
    found, count = update.tokens, len(update.tokens)
    targets: set[str] = set()
    index = operations = 0
    while index < count:
        token = found[index]
        if token.is_keyword("BASE"):  # a prologue: its IRIs are written out already
            if index + 1 >= count or found[index + 1].kind != "iri":
                return None
            index += 2
            continue
        if (index + 2 >= count or not found[index + 1].is_keyword("DATA")
                or not (token.is_keyword("INSERT") or token.is_keyword("DELETE"))
                or not _is(found[index + 2], "{")):
            return None
        block = _data_block(found, index + 3, targets)
        if block is None:
            return None
        index, operations = block, operations + 1
        if index < count:
            if not _is(found[index], ";"):
                return None
            index += 1
    return targets if operations else None


def data_triples(update: ReadQuery) -> int:
    """Return about how many triples an update of INSERT DATA and DELETE DATA operations
    alone adds and removes (read from its tokens, never fewer: each triple ends with a dot
    or its block's brace), 0 for any other update."""
    if data_targets(update) is None:
        return 0
    return sum(1 for token in update.tokens if _is(token, ".") or _is(token, "}"))


def _data_block(found: tuple[Token, ...], index: int, targets: set[str]) -> int | None:
    """Add to targets the graphs of the data block opened before index; return where the
    block ends (past its brace), None for a token outside the shape data_targets reads."""
    graph, filled, count = None, False, len(found)
    while index < count:
        token = found[index]
        kind = token.kind
        index += 1
        if (kind in _DATA_KINDS or (kind == "punct" and token.text in _DATA_PUNCTS)
                or (kind == "word" and token.text.upper() in _DATA_WORDS)):
            if graph is not None:
                filled = True
            elif token.text != ".":  # a dot alone may follow a GRAPH block
                targets.add(DEFAULT)
        elif _is(token, "}"):
            if graph is None:
                return index  # the operation's end
            if filled:
                targets.add(graph)
            graph = None
        elif token.is_keyword("GRAPH") and graph is None and index + 1 < count:
            named, opened = found[index], found[index + 1]
            graph, filled, index = named.text[1:-1], False, index + 2
            # Written out in the plain form: absolute, no escape.
            if (named.kind != "iri" or not _is(opened, "{") or not is_absolute(graph)
                    or "\\" in graph):
                return None
        else:
            return None
    return None


def update_targets(given: str | ReadQuery) -> set[str]:
    """Return the graphs an update may write: IRIs, DEFAULT, ALL, NAMED, or '?' for a variable.

    An update already read (its plain form) made of INSERT DATA and DELETE DATA operations
    alone has them read from its tokens (data_targets). Any other is read from rdflib's
    parse of the update, so that no spelling hides a target. The parse is
    walked as it comes: rdflib's translation to algebra joins each block's triples one list
    at a time (quadratic: a 1,000-triple INSERT DATA took seconds), and the targets need none
    of it. The text is in plain form (every IRI written out), so a graph is an IRI, a
    keyword or a variable; anything else counts as a variable.
    """
    if isinstance(given, ReadQuery):
        data = data_targets(given)
        if data is not None:
            return data
    from rdflib import URIRef
    from rdflib.plugins.sparql.parser import parseUpdate

    text = given.text if isinstance(given, ReadQuery) else given
    with PARSER_LOCK:
        try:
            operations = parseUpdate(text).request or []
        except Exception as error:  # pyparsing and rdflib raise assorted exceptions
            raise UpdateSyntaxError(str(error)) from error

    def name(graph: object) -> str:
        if isinstance(graph, URIRef):
            return str(graph)
        if isinstance(graph, str) and graph.upper() in {DEFAULT, ALL, NAMED}:
            return graph.upper()
        return "?"

    def written(quads: Any, fallback: str) -> set[str]:
        """The graphs a block of quads writes (its triples outside GRAPH: fallback)."""
        # CompValue.get answers a missing key with its name: read plain dicts instead.
        block = dict(quads) if quads is not None else {}
        graphs = {name(dict(inner).get("term")) for inner in block.get("quadsNotTriples") or ()
                  if dict(inner).get("triples")}
        return graphs | ({fallback} if block.get("triples") else set())

    found: set[str] = set()
    for operation in operations:
        kind, fields = operation.name, dict(operation)
        if kind in {"InsertData", "DeleteData", "DeleteWhere"}:
            found |= written(fields.get("quads"), DEFAULT)
        elif kind == "Modify":
            fallback = name(fields["withClause"]) if fields.get("withClause") else DEFAULT
            for key in ("delete", "insert"):
                if fields.get(key):
                    found |= written(dict(fields[key]).get("quads"), fallback)
        elif kind in {"Clear", "Drop", "Create"}:
            found.add(name(fields.get("graphiri")))
        elif kind in {"Add", "Copy"}:
            found.add(name(fields["graph"][1]))
        elif kind == "Move":
            found.update(name(graph) for graph in fields["graph"])
        else:  # Load, refused elsewhere; anything new is treated as touching everything
            found.add(ALL)
    return found


def has_update_dataset(update: ReadQuery) -> bool:
    """Tell whether an update names its own dataset with USING or WITH."""
    return "USING" in update.words or "WITH" in update.words


def with_using(update: ReadQuery, default_graphs: tuple[str, ...],
               named_graphs: tuple[str, ...]) -> str:
    """Give every DELETE/INSERT … WHERE operation of an update USING (NAMED) clauses.

    The graphs come from the request: the text returned is new and must be read (guarded)
    as a whole again.
    """
    clauses = " ".join([*(f"USING <{g}>" for g in default_graphs),
                        *(f"USING NAMED <{g}>" for g in named_graphs)])
    source = update.text
    if not clauses:
        return source
    found = update.tokens
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


# The words a query read by one_pattern() may hold besides its pattern's terms.
_ONE_PATTERN_MODIFIERS = frozenset({"LIMIT", "OFFSET"})


def one_pattern(query: ReadQuery) -> tuple[Token, Token, Token] | None:
    """The one triple pattern of a query that is nothing else (`SELECT [DISTINCT] ?v… |
    * [WHERE] { s p o [.] } [LIMIT n] [OFFSET n]`, after any BASE), each term a variable or
    an absolute IRI written plainly; None for any other query. Evaluating such a query
    reads no more stored triples than its pattern matches."""
    tokens = query.tokens
    at = 0
    while at + 1 < len(tokens) and tokens[at].is_keyword("BASE"):
        at += 2
    if at >= len(tokens) or not tokens[at].is_keyword("SELECT"):
        return None
    at += 1
    if at < len(tokens) and (tokens[at].is_keyword("DISTINCT") or tokens[at].is_keyword("REDUCED")):
        at += 1
    chosen = at
    while at < len(tokens) and (tokens[at].kind == "var" or (
            at == chosen and tokens[at].kind == "punct" and tokens[at].text == "*")):
        at += 1
    if at == chosen:
        return None
    if at < len(tokens) and tokens[at].is_keyword("WHERE"):
        at += 1
    group = tokens[at:]
    if len(group) < 5 or not _punct(group[0], "{"):
        return None
    terms = (group[1], group[2], group[3])
    if not all(t.kind == "var" or (t.kind == "iri" and "\\" not in t.text) for t in terms):
        return None
    close = 5 if _punct(group[4], ".") else 4
    if len(group) <= close or not _punct(group[close], "}"):
        return None
    rest = group[close + 1:]
    for word, number in zip(rest[::2], rest[1::2], strict=False):
        if word.kind != "word" or word.text.upper() not in _ONE_PATTERN_MODIFIERS \
                or number.kind != "number":
            return None
    if len(rest) % 2:
        return None
    return terms


def _punct(token: Token, text: str) -> bool:
    return token.kind == "punct" and token.text == text
