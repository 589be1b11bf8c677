"""One reading of a SPARQL text: its tokens as Oxigraph reads them, and the text it executes.

Oxigraph decodes \\u and \\U escapes only inside strings and IRIs (as SPARQL 1.2 says), ends a
comment at a carriage return or a line feed, and reads a keyword wherever its letters begin,
with no word boundary (`SERVICESILENT` is `SERVICE SILENT`). Other readers (rdflib, remote
servers) differ on each point. So a text is not analysed as it came: it is rewritten once into
a plain form that every reader reads the same way, and that form is what is analysed and what
is executed. The plain form has no comments, no PREFIX declarations (prefixed names are
written out), only absolute IRIs (BASE declarations resolved, and kept for the IRI function),
no escapes outside the ECHARs of strings, and white space only where the text had some.
Whatever cannot be put in that form is refused.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import pyoxigraph as ox

_BASE_CHARS = ("A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF"
               "\u200C-\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD"
               "\U00010000-\U000EFFFF")
_U = _BASE_CHARS + "_"
_CHARS = _U + "\\-0-9\u00B7\u0300-\u036F\u203F-\u2040"
_UCHAR = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"
_ECHAR = r"\\[tbnrf\\\"']"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
# Possessive, then "not ending with a dot": no backtracking through every bare word.
_PREFIX = f"[{_BASE_CHARS}][{_CHARS}.]*+(?<!\\.)"
_LOCAL = f"(?:[{_U}:0-9]|{_PLX})(?:(?:[{_CHARS}.:]|{_PLX})*(?:[{_CHARS}:]|{_PLX}))?"
_EXPONENT = r"[eE][+-]?[0-9]+"

_TOKEN = re.compile(
    rf"""
    (?P<ws>[ \t\r\n]+)
  | (?P<comment>\#[^\r\n]*)
  | (?P<string>'''(?:(?:'|'')?(?:[^'\\]|{_ECHAR}|{_UCHAR}))*'''
              |\"\"\"(?:(?:"|"")?(?:[^"\\]|{_ECHAR}|{_UCHAR}))*\"\"\"
              |'(?:[^'\\\n\r]|{_ECHAR}|{_UCHAR})*'
              |"(?:[^"\\\n\r]|{_ECHAR}|{_UCHAR})*")
  | (?P<iri><(?:[^<>"{{}}|^`\\\x00-\x20]|{_UCHAR})*>)
  | (?P<var>[?$][{_U}0-9][{_U}0-9\u00B7\u0300-\u036F\u203F-\u2040]*)
  | (?P<bnode>_:[{_U}0-9](?:[{_CHARS}.]*[{_CHARS}])?)
  | (?P<pname>(?:{_PREFIX})?:(?:{_LOCAL})?)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<lang>@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*(?:--[a-zA-Z]+)?)
  | (?P<number>[+-]?(?:[0-9]+\.[0-9]*{_EXPONENT}|\.[0-9]+{_EXPONENT}|[0-9]+{_EXPONENT}
                     |[0-9]*\.[0-9]+|[0-9]+))
  | (?P<punct><<\(|\)>>|<<|>>|\{{\||\|}}|\^\^|&&|\|\||<=|>=|!=|[{{}}()\[\].,;*+\-/<>=!|^?~])
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_SKIPPED = frozenset({"ws", "comment"})

# Every bare word SPARQL 1.1 and 1.2 have (keywords, built-in functions, `a`); any other word
# could be split by one reader and not by another.
KEYWORDS = frozenset("""
    BASE PREFIX VERSION SELECT CONSTRUCT DESCRIBE ASK DISTINCT REDUCED AS FROM NAMED WHERE ORDER
    BY ASC DESC LIMIT OFFSET VALUES UNDEF LOAD SILENT INTO CLEAR DROP CREATE ADD MOVE COPY TO
    DATA INSERT DELETE WITH USING DEFAULT ALL GRAPH OPTIONAL SERVICE BIND MINUS UNION FILTER
    GROUP HAVING A TRUE FALSE NOT IN EXISTS STR LANG LANGMATCHES DATATYPE BOUND IRI URI BNODE
    RAND ABS CEIL FLOOR ROUND CONCAT STRLEN UCASE LCASE ENCODE_FOR_URI CONTAINS STRSTARTS
    STRENDS STRBEFORE STRAFTER YEAR MONTH DAY HOURS MINUTES SECONDS TIMEZONE TZ NOW UUID STRUUID
    MD5 SHA1 SHA256 SHA384 SHA512 COALESCE IF STRLANG STRDT SAMETERM ISIRI ISURI ISBLANK
    ISLITERAL ISNUMERIC REGEX SUBSTR REPLACE COUNT SUM MIN MAX AVG SAMPLE GROUP_CONCAT SEPARATOR
    TRIPLE ISTRIPLE SUBJECT PREDICATE OBJECT LANGDIR HASLANG HASLANGDIR STRLANGDIR ADJUST
""".split())

_ESCAPES = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'",
            "\\": "\\"}
_STRING_ESCAPE = re.compile(rf"{_UCHAR}|{_ECHAR}")
_IRI_ESCAPE = re.compile(_UCHAR)
_LOCAL_ESCAPE = re.compile(r"\\(.)")
_NOT_IN_IRI = re.compile(r'[<>"{}|^`\\\x00-\x20]')
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")


class Unreadable(ValueError):
    """A text that cannot be put in the plain form; the message says where and why."""


class Token(NamedTuple):
    """One lexical token: its kind, its text and where it stands in the text read."""

    kind: str
    text: str
    start: int = 0
    end: int = 0

    def is_keyword(self, word: str) -> bool:
        return self.kind == "word" and self.text.upper() == word


# How many texts were lexed in this process: tests count them to show that a request's text
# is lexed once, whatever steps read it.
_lexed = 0


def lexed() -> int:
    """Return how many texts tokens() has lexed in this process."""
    return _lexed


# Inside an expression Oxigraph reads `<` after an operand as "less than" (`1<2&&3>2` is two
# comparisons, not the IRI <2&&3>): an IRI cannot follow an operand there. Operands end with
# these kinds of token, `)` or `)>>`, and the words TRUE and FALSE.
_OPERAND_ENDS = frozenset({"var", "number", "string", "iri", "pname", "lang"})
_LESS = re.compile(r"<=?")
# A `(` after a word opens an expression (FILTER, BIND, a function, SELECT, BY, IN, ...),
# except after these: an RDF collection or a VALUES row.
_NOT_EXPRESSIONS = frozenset({"A", "VALUES"})
# Words that open a clause of expressions (projections, GROUP BY, ORDER BY, HAVING), where a
# `(` after an operand opens another expression, and words that end one.
_CLAUSES = frozenset({"SELECT", "BY", "HAVING"})
_CLAUSE_ENDS = frozenset({"WHERE", "FROM", "LIMIT", "OFFSET", "VALUES", "ORDER", "GROUP"})


class _Context:
    """Where a lexer stands: in an expression or not (the tokens before tell the rest)."""

    __slots__ = ("brackets", "clause")

    def __init__(self) -> None:
        self.brackets: list[bool] = []  # per open bracket: whether it holds an expression
        self.clause = False

    def less_than(self, before: Sequence[Token]) -> bool:
        """Tell whether a `<` after the tokens before is "less than" (else it may start an
        IRI)."""
        if not self.brackets or not self.brackets[-1] or not before:
            return False
        last = before[-1]
        return (last.kind in _OPERAND_ENDS or last.text in {")", ")>>"}
                or (last.kind == "word" and last.text.upper() in {"TRUE", "FALSE"}))

    def _opens_expression(self, before: Sequence[Token]) -> bool:
        if self.brackets and self.brackets[-1]:
            return True
        if not before:
            return False
        last = before[-1]
        if last.kind == "word":
            return last.text.upper() not in _NOT_EXPRESSIONS
        if last.kind in {"var", "iri", "pname"} or last.text == ")":
            # A projection or condition after another, or a function called by its IRI.
            return self.clause or (last.kind in {"iri", "pname"} and len(before) > 1
                                   and before[-2].is_keyword("FILTER"))
        return False

    def read(self, token: Token, before: Sequence[Token]) -> None:
        """Move past token (only brackets and words move it), which follows before."""
        kind, text = token.kind, token.text
        if kind == "punct":
            if text == "(":
                self.brackets.append(self._opens_expression(before))
            elif text in {"{", "[", "<<(", "{|"}:
                self.brackets.append(False)
                self.clause = self.clause and text != "{"
            elif text in {")", "}", "]", ")>>", "|}"}:
                if self.brackets:
                    self.brackets.pop()
                self.clause = self.clause and text != "}"
        elif kind == "word":
            word = text.upper()
            if word in _CLAUSES:
                self.clause = True
            elif word in _CLAUSE_ENDS:
                self.clause = False


def tokens(text: str) -> tuple[Token, ...]:
    """Split SPARQL text into tokens as Oxigraph does, dropping white space and comments.

    A character no token starts with is an `other` token. A `<` after an operand inside an
    expression is "less than" (or `<=`), whatever follows it.
    """
    global _lexed
    _lexed += 1
    found: list[Token] = []
    context = _Context()
    moved, less_than = context.read, context.less_than
    position = 0
    while True:
        for match in _TOKEN.finditer(text, position):
            kind = match.lastgroup
            if kind in _SKIPPED:
                continue
            start = match.start()
            if text[start] == "<" and less_than(found):
                # Read again from here on: what follows the "less than" is other tokens.
                less = _LESS.match(text, start)
                assert less is not None
                position = less.end()
                found.append(Token("punct", less.group(), start, position))
                break
            token = Token(kind or "other", match.group(), start, match.end())
            if kind == "punct" or kind == "word":
                moved(token, found)
            found.append(token)
        else:
            return tuple(found)


QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


# Texts this short have their reading kept (kg.store.base.guarded) and what is made of it.
KEPT_TEXT = 4096


# Compared by identity: a kept reading and what is made of it are found again by the object,
# with no hashing of its tokens.
@dataclass(frozen=True, slots=True, eq=False)
class ReadQuery:
    """A SPARQL text lexed once, with what its steps ask of it: each step (the guard, the
    rewrites, the engine's call) reads this value, none lexes the text again.

    Made by lexed_query() for a text as it came, by read() for its plain form (source is then
    the client's text, lexed); a rewrite makes another with replaced().
    """

    text: str
    tokens: tuple[Token, ...]
    # The upper-cased bare words (keywords, function names, `a`).
    words: frozenset[str]
    # SELECT, ASK, CONSTRUCT or DESCRIBE: the first of them among the tokens (None: an update).
    form: str | None
    # Where its FROM and FROM NAMED clauses stand in text: (start, end) of each.
    dataset_clauses: tuple[tuple[int, int], ...]
    # The client's text this is the plain form of; None for a text read as it came.
    source: ReadQuery | None = None
    # Read for Oxigraph alone (see read()).
    only_oxigraph: bool = False

    def replaced(self, start: int, end: int, written: str,
                 added: Sequence[Token] = ()) -> ReadQuery:
        """This query with text[start:end] replaced by written, whose tokens are added
        (positions within written): the tokens are moved, not read again."""
        shift = len(written) - (end - start)
        found = (*(t for t in self.tokens if t.end <= start),
                 *(t._replace(start=t.start + start, end=t.end + start) for t in added),
                 *(t._replace(start=t.start + shift, end=t.end + shift)
                   for t in self.tokens if t.start >= end))
        return _summarised(self.text[:start] + written + self.text[end:], found, self.source,
                           self.only_oxigraph)


def _summarised(text: str, found: tuple[Token, ...], source: ReadQuery | None = None,
                only_oxigraph: bool = False) -> ReadQuery:
    """A ReadQuery of text and its tokens, its words, form and dataset clauses found in one
    pass."""
    words: set[str] = set()
    form = None
    clauses: list[tuple[int, int]] = []
    for index, token in enumerate(found):
        if token.kind != "word":
            continue
        word = token.text.upper()
        words.add(word)
        if form is None and word in QUERY_FORMS:
            form = word
        elif word == "FROM":
            end = index + 1
            if end < len(found) and found[end].is_keyword("NAMED"):
                end += 1
            if end < len(found) and found[end].kind in {"iri", "pname"}:
                clauses.append((token.start, found[end].end))
    return ReadQuery(text, found, frozenset(words), form, tuple(clauses), source,
                     only_oxigraph)


def lexed_query(text: str) -> ReadQuery:
    """Lex a text as it came, not put in plain form (read() starts from this)."""
    return _summarised(text, tokens(text))


def _where(text: str, token: Token) -> str:
    line = text.count("\n", 0, token.start) + 1
    column = token.start - (text.rfind("\n", 0, token.start) + 1) + 1
    return f"at {line}:{column}"


def _character(code: int) -> str:
    if 0xD800 <= code <= 0xDFFF:
        raise Unreadable(f"\\u escape of a lone surrogate (U+{code:04X}), no character")
    if code > 0x10FFFF:
        raise Unreadable(f"\\u escape of no character (U+{code:04X})")
    return chr(code)


def _unescape(match: re.Match[str]) -> str:
    found = match.group()
    if found[1] in "uU":
        return _character(int(found[2:], 16))
    return _ESCAPES[found[1]]


def string_value(token: str) -> str:
    """The characters a string token stands for."""
    quotes = 3 if token[:3] in {'"""', "'''"} else 1
    return _STRING_ESCAPE.sub(_unescape, token[quotes:-quotes])


def plain_string(value: str) -> str:
    """Write a string with no escape but those every SPARQL reader takes the same way."""
    body = (value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
            .replace("\r", "\\r"))
    return f'"{body}"'


def is_absolute(iri: str) -> bool:
    """Tell whether an IRI has a scheme (needs no base)."""
    return _SCHEME.match(iri) is not None


def resolve(iri: str, base: str | None) -> str:
    """Resolve an IRI against base as Oxigraph does (relative IRIs stay so with no base)."""
    if base is None or is_absolute(iri):
        return iri
    try:
        [triple] = ox.parse(f"<{iri}> <urn:p> <urn:o> .", format=ox.RdfFormat.TURTLE,
                            base_iri=base)
    except (SyntaxError, ValueError) as error:
        raise Unreadable(f"<{iri}> cannot be resolved against <{base}>: {error}") from None
    return str(triple.subject.value)


def _iri(text: str, token: Token, base: str | None) -> str:
    value = _IRI_ESCAPE.sub(lambda m: _character(int(m.group()[2:], 16)), token.text[1:-1])
    if _NOT_IN_IRI.search(value):
        raise Unreadable(f"{_where(text, token)}: an escape in {token.text} stands for a "
                         "character no IRI may hold")
    resolved = resolve(value, base)
    # Inside an expression Oxigraph reads `<` after an operand as "less than", so `1<?b&&'>`
    # is a comparison followed by a string there. Read that way, an IRI token would go on as
    # other tokens: a quote would open a string and a `#` a comment that the token reading
    # does not see. An absolute IRI cannot be read so (its scheme is a prefixed name, and the
    # plain form declares none), a relative one can: it holds neither.
    if "'" in token.text or ("#" in resolved and not is_absolute(resolved)):
        raise Unreadable(f"{_where(text, token)}: {token.text} could also be read as `<` "
                         "followed by other tokens")
    return resolved


def _would_merge(before: str, after: str) -> bool:
    """Tell whether two written tokens side by side could read as other tokens (a "less
    than" followed by anything could read as the start of an IRI)."""
    return before in {"<", "<="} or (before[-1], after[0]) in {("<", "<"), ('"', '"'),
                                                                (">", ">")}


def plain(text: str, base: str | None = None, only_oxigraph: bool = False) -> str:
    """Return text in the plain form (see the module), relative IRIs resolved against base."""
    return read(text, base, only_oxigraph).text


class _Writer:
    """The plain form as it is written: its pieces, and its tokens where they stand."""

    def __init__(self) -> None:
        self.pieces: list[str] = []
        self.tokens: list[Token] = []
        self.size = 0
        self.last = ""  # the last token written

    def space(self, gap: str) -> None:
        self.pieces.append(gap)
        self.size += len(gap)

    def token(self, kind: str, written: str) -> None:
        self.pieces.append(written)
        self.tokens.append(Token(kind, written, self.size, self.size + len(written)))
        self.size += len(written)
        self.last = written

    def base(self, iri: str) -> None:
        self.token("word", "BASE")
        self.space(" ")
        self.token("iri", f"<{iri}>")


def read(given: str | ReadQuery, base: str | None = None,
         only_oxigraph: bool = False) -> ReadQuery:
    """Read a text once: its plain form (see the module), relative IRIs resolved against base,
    with the plain form's tokens as they are written (the plain form is not lexed again).
    given is the text, or the text already lexed as it came (lexed_query()).

    only_oxigraph: the text is for Oxigraph alone, so a string may hold a backslash and a u
    (other readers decode it as an escape).

    Raise Unreadable for what has no plain form: characters no token starts with, words that
    are no SPARQL keyword, undeclared prefixes, escapes of no character.
    """
    source = given if isinstance(given, ReadQuery) else lexed_query(given)
    text, found = source.text, source.tokens
    prefixes: dict[str, str] = {}
    leads_with_base = bool(found) and found[0].is_keyword("BASE")
    out = _Writer()
    if base is not None and not leads_with_base:
        out.base(base)
    after_base = bool(out.tokens)
    last = 0
    index = 0
    context = _Context()
    written_from: list[Token] = []  # the tokens written so far, as they came
    while index < len(found):
        token = found[index]
        kind = token.kind
        # Oxigraph refuses some spaces (`CONCAT (`, `( )`): no space is added where none was.
        gap = ("\n" * text.count("\n", last, token.start) or " ") if token.start > last else ""
        following = found[index + 1] if index + 1 < len(found) else None
        if kind == "other" and token.text == "\\":
            raise Unreadable(f"{_where(text, token)}: an escape outside strings and IRIs (\\u "
                             "escapes are read only inside them)")
        if kind == "other":
            raise Unreadable(f"{_where(text, token)}: unexpected {token.text!r}")
        if kind == "word" and token.text.upper() not in KEYWORDS:
            raise Unreadable(f"{_where(text, token)}: {token.text!r} is not a SPARQL keyword")
        if token.is_keyword("BASE"):
            if following is None or following.kind != "iri":
                raise Unreadable(f"{_where(text, token)}: BASE needs an IRI")
            base = _iri(text, following, base)
            # Kept, resolved: the IRI() function resolves against it when the query runs.
            if out.tokens and gap:
                out.space(gap)
            out.base(base)
            after_base = True
            index, last = index + 2, following.end
            continue
        if token.is_keyword("PREFIX"):
            after = found[index + 2] if index + 2 < len(found) else None
            if (following is None or following.kind != "pname"
                    or following.text.index(":") != len(following.text) - 1 or after is None
                    or after.kind != "iri"):
                raise Unreadable(f"{_where(text, token)}: PREFIX needs a name and an IRI")
            prefixes[following.text[:-1]] = _iri(text, after, base)
            index, last = index + 3, after.end
            continue
        if kind == "iri":
            written, kind = f"<{_iri(text, token, base)}>", "iri"
        elif kind == "pname":
            if context.less_than(written_from):
                # Written out as an IRI, it would be read as "less than" and other tokens.
                raise Unreadable(f"{_where(text, token)}: {token.text} follows an operand")
            prefix, _, local = token.text.partition(":")
            if prefix not in prefixes:
                raise Unreadable(f"{_where(text, token)}: the prefix {prefix}: is not declared")
            iri = prefixes[prefix] + _LOCAL_ESCAPE.sub(r"\1", local)
            if _NOT_IN_IRI.search(iri):
                raise Unreadable(f"{_where(text, token)}: {token.text} is no IRI")
            written, kind = f"<{iri}>", "iri"
        elif kind == "string":
            written = plain_string(string_value(token.text))
        else:
            written = token.text
        if out.tokens and (gap or _would_merge(out.last, written) or after_base):
            out.space(gap or " ")
        after_base = False
        out.token(kind, written)
        if kind == "punct" or kind == "word":
            context.read(token, written_from)
        written_from.append(token)
        last = token.end
        index += 1
    result = "".join(out.pieces)
    if not only_oxigraph and re.search(r"\\[uU]", result):
        # A SPARQL 1.1 reader would decode it, Oxigraph would not.
        raise Unreadable("a string holds a backslash followed by u or U, which SPARQL readers "
                         "take in different ways")
    return _summarised(result, tuple(out.tokens), source, only_oxigraph)


_POSITION = re.compile(r"\b(?:error )?at (\d+):(\d+)")
_CHAR = re.compile(r"\(at char (\d+)\)(?:, \(line:\d+, col:\d+\))?")


def _offset(text: str, line: int, column: int) -> int:
    start = 0
    for _ in range(line - 1):
        start = text.find("\n", start) + 1
        if start == 0:
            return len(text)
    return min(start + column - 1, len(text))


def _line_column(text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    return f"{line}:{offset - (text.rfind(chr(10), 0, offset) + 1) + 1}"


def _without_declarations(found: Sequence[Token]) -> list[Token]:
    kept: list[Token] = []
    skip = 0
    for token in found:
        if skip:
            skip -= 1
        elif token.is_keyword("PREFIX"):
            skip = 2
        else:
            kept.append(token)
    return kept


def _key(token: Token) -> str:
    """What a token of the client's text and its plain form have in common."""
    if token.kind in {"iri", "pname"}:
        return "iri"
    if token.kind == "string":
        return "string"
    return token.text.upper() if token.kind == "word" else token.text


def _paired(ran: Sequence[Token], mine: Sequence[Token]) -> list[tuple[Token, Token | None]]:
    """Pair each executed token with the client's token it was written from (None for the
    clauses the service added: a leading BASE, a LIMIT, USING clauses).

    The executed text holds the client's tokens, PREFIX declarations left out, in order, with
    whole clauses added between them: a token that does not match the client's next one was
    added.
    """
    pairs: list[tuple[Token, Token | None]] = []
    index = 0
    for token in ran:
        if index < len(mine) and _key(token) == _key(mine[index]):
            pairs.append((token, mine[index]))
            index += 1
        else:
            pairs.append((token, None))
    return pairs


def in_client_text(message: str, executed: ReadQuery, client: ReadQuery | None = None) -> str:
    """Rewrite the position in an engine message about executed (line:column, or rdflib's
    character offset, line and column) to the client's text.

    The executed text is the plain form of the client's (by default its source), with
    clauses added (see _paired).
    """
    client = client or executed.source or executed
    found = _POSITION.search(message)
    if found is None:
        # rdflib's parser (pyparsing) says `(at char N), (line:L, col:C)`, N counted from 0.
        counted = _CHAR.search(message)
        if counted is None:
            return message
        position = _client_offset(int(counted.group(1)), executed, client)
        line, column = _line_column(client.text, position).split(":")
        return (message[:counted.start()] + f"(at char {position}), (line:{line}, col:{column})"
                + message[counted.end():])
    at = _offset(executed.text, int(found.group(1)), int(found.group(2)))
    where = _line_column(client.text, _client_offset(at, executed, client))
    return message[:found.start(1)] + where + message[found.end(2):]


def _client_offset(at: int, executed: ReadQuery, client: ReadQuery) -> int:
    """Where the character at offset at of the executed text stands in the client's text."""
    position = 0
    pairs = _paired(executed.tokens, _without_declarations(client.tokens))
    for index, (theirs, own) in enumerate(pairs):
        if theirs.start > at:
            break
        if own is None:
            # In a clause the service added: the error is where the client's next token is.
            following = (o for _, o in pairs[index:] if o is not None)
            position = next((o.start for o in following), len(client.text))
            continue
        inside = at - theirs.start
        # Within a token written the same way the column is kept, else its start is given;
        # past it, the white space after it.
        if inside >= len(theirs.text):
            position = min(own.end + inside - len(theirs.text), len(client.text))
        else:
            position = own.start + (inside if theirs.text == own.text else 0)
    return position
