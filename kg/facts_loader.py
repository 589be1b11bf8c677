"""Load the curated fact files and check them against the schema and the ontology."""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from rdflib import URIRef
from rdflib.namespace import SKOS

from kg.facts_schema import Claim, Entity, FactFile, Source
from kg.namespaces import DMO
from kg.ontology_index import OntologyIndex

# The top classes each kind of IRI may hold.
KIND_CLASSES: dict[str, tuple[URIRef, ...]] = {
    "substance": (DMO.Substance,),
    "channel": (DMO.Channel,),
    "actor": (DMO.Actor,),
    "place": (DMO.Place,),
    "regulation": (DMO.Regulation,),
    "source": (DMO.Source,),
    "practice": (DMO.Practice,),
    "risk": (DMO.Risk,),
    "factor": (DMO.Factor,),
    "concept": (DMO.Requirement, SKOS.Concept),
}


@dataclass(frozen=True)
class FactError:
    """One problem in one fact file, located as precisely as the parser allows."""

    file: Path
    line: int | None
    entry: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        parts = [where]
        if self.entry:
            parts.append(self.entry)
        if self.field:
            parts.append(f"field '{self.field}'")
        return ": ".join([*parts, self.message])


class FactsInvalid(Exception):
    """The fact files hold errors; nothing may be built from them."""

    def __init__(self, errors: Sequence[FactError]) -> None:
        self.errors = list(errors)
        super().__init__(f"{len(self.errors)} error(s) in the fact files:\n"
                         + "\n".join(f"  {e}" for e in self.errors))


@dataclass
class Located:
    """Where a definition stands, for messages about it."""

    file: Path
    line: int | None
    entry: str


@dataclass
class Facts:
    """Every curated entity and claim, checked and ready to populate the ontology."""

    entities: dict[str, Entity] = field(default_factory=dict)
    claims: dict[str, Claim] = field(default_factory=dict)
    places: dict[str, Located] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)

    @property
    def sources(self) -> dict[str, Source]:
        return {k: v for k, v in self.entities.items() if isinstance(v, Source)}


def _line_of(root: yaml.Node | None, path: Sequence[Any]) -> int | None:
    """Follow a validation location into the YAML node tree; return the deepest line found."""
    node = root
    line = node.start_mark.line + 1 if node is not None else None
    for step in path:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if getattr(k, "value", None) == step), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) \
                and step < len(node.value):
            node = node.value[step]
        else:
            node = None
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def _entry_name(data: Any, path: Sequence[Any]) -> str | None:
    if len(path) >= 2 and isinstance(path[0], str) and isinstance(path[1], int):
        section, index = path[0], path[1]
        try:
            item = data[section][index]
        except (KeyError, IndexError, TypeError):
            return f"{section}[{index}]"
        ident = item.get("id") if isinstance(item, dict) else None
        return f"{section}[{index}] ({ident})" if ident else f"{section}[{index}]"
    return None


def _schema_errors(path: Path, data: Any, root: yaml.Node | None,
                   error: ValidationError) -> list[FactError]:
    errors = []
    for item in error.errors():
        loc = [p for p in item["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
        # Union members add their type names to the location; keep the data path only.
        loc = [p for p in loc if not (isinstance(p, str) and p in {"date", "int", "str"}
                                      and loc.index(p) == len(loc) - 1 and len(loc) > 3)]
        field_path = [str(p) for p in loc[2:]] if len(loc) > 2 else [str(p) for p in loc]
        message = item["msg"]
        if item["type"] not in {"missing"} and not isinstance(item.get("input"), dict | list):
            message += f" (got {item.get('input')!r})"
        errors.append(FactError(path, _line_of(root, loc), _entry_name(data, loc),
                                ".".join(field_path) or None, message))
    return errors


# A fact file as read: its validated content (None when unreadable), its errors, its YAML tree.
ReadFactFile = tuple[FactFile | None, list[FactError], yaml.Node | None]


def read_fact_file(path: Path) -> ReadFactFile:
    """Parse and validate one fact file against the schema."""
    return read_fact_bytes(path, path.read_bytes())


def read_fact_bytes(path: Path, raw: bytes) -> ReadFactFile:
    """Parse and validate the content of the fact file at path."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        return None, [FactError(path, raw[:error.start].count(b"\n") + 1, None, None,
                                f"not UTF-8: byte {raw[error.start]:#04x} at offset "
                                f"{error.start} ({error.reason})")], None
    try:
        # One parse gives both the tree (for line numbers) and the data built from it.
        loader = yaml.SafeLoader(text)
        try:
            root = loader.get_single_node()
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(error, "problem", None) or str(error)
        return None, [FactError(path, line, None, None, f"not valid YAML: {problem}")], None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return None, [FactError(path, 1, None, None,
                                "expected a mapping with entities, sources or claims")], root
    try:
        return FactFile.model_validate(data), [], root
    except ValidationError as error:
        return None, _schema_errors(path, data, root, error), root


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class Suggestions:
    """"; did you mean 'x'?" for the nearest of the known ids, or an empty string.

    The known ids are folded once and each reference's answer is kept: a file with many
    unknown references would otherwise fold every known id for each of them.
    """

    def __init__(self, known: Iterable[str]) -> None:
        self.folded = {_fold(k): k for k in known}
        self.names = list(self.folded)
        self.found: dict[str, str] = {}

    def __call__(self, reference: str) -> str:
        found = self.found.get(reference)
        if found is None:
            match = difflib.get_close_matches(_fold(reference), self.names, n=1, cutoff=0.6)
            found = self.found[reference] = \
                f"; did you mean '{self.folded[match[0]]}'?" if match else ""
        return found


class _Checker:
    """Cross-file checks: unique ids, references that resolve, terms the ontology has."""

    def __init__(self, facts: Facts, index: OntologyIndex) -> None:
        self.facts = facts
        self.index = index
        self.errors: list[FactError] = []
        self.types: dict[str, set[URIRef]] = {
            ident: index.type_closure(types) for ident, types in index.individuals.items()}
        self.known = set(facts.entities) | set(index.individuals)
        self.suggest_entity = Suggestions(self.known)
        self.suggest_class = Suggestions(index.classes)
        self.suggest_relation = Suggestions(index.object_properties)
        self.suggest_value = Suggestions(index.datatype_properties)

    def error(self, ident: str, field_name: str, message: str) -> None:
        where = self.facts.places[ident]
        self.errors.append(FactError(where.file, where.line, where.entry, field_name, message))

    def resolve_types(self) -> None:
        for ident, entity in self.facts.entities.items():
            asserted = []
            for name in entity.types:
                if name not in self.index.classes:
                    self.error(ident, "types", f"unknown DMO class '{name}'"
                               + self.suggest_class(name))
                else:
                    asserted.append(self.index.classes[name])
            closure = self.index.type_closure(asserted)
            self.types[ident] = closure
            kind = ident.split("/")[0]
            if asserted and not closure & set(KIND_CLASSES.get(kind, ())):
                allowed = " or ".join(str(c).split("#")[-1].split("/")[-1]
                                      for c in KIND_CLASSES[kind])
                self.error(ident, "types", f"a {kind} must be a {allowed}, got {entity.types}")

    def reference(self, ident: str, field_name: str, target: str,
                  expected: frozenset[URIRef] = frozenset()) -> None:
        if target not in self.known:
            kind = target.split("/")[0] if "/" in target else "entity"
            self.error(ident, field_name, f"{kind} '{target}' does not exist"
                       + self.suggest_entity(target))
            return
        if expected and not self.types.get(target, set()) & expected:
            names = ", ".join(sorted(str(e).split("#")[-1] for e in expected))
            self.error(ident, field_name, f"'{target}' is not a {names}")

    def check_entity(self, ident: str, entity: Entity) -> None:
        for name, targets in entity.relations.items():
            info = self.index.object_properties.get(name)
            if info is None:
                self.error(ident, f"relations.{name}", "unknown DMO object property"
                           + self.suggest_relation(name))
                continue
            if info.domain and not self.types[ident] & info.domain:
                names = ", ".join(sorted(str(d).split("#")[-1] for d in info.domain))
                self.error(ident, f"relations.{name}", f"applies to a {names}, not to {ident}")
            for target in targets:
                self.reference(ident, f"relations.{name}", target, info.range)
        for name in entity.values:
            if name not in self.index.datatype_properties:
                self.error(ident, f"values.{name}", "unknown DMO datatype property"
                           + self.suggest_value(name))
        if entity.location is not None:
            if not self.types[ident] & {DMO.Place}:
                self.error(ident, "location", f"only a place has coordinates, not {ident}")
            self.reference(ident, "location.source", entity.location.source,
                           frozenset({DMO.Source}))
        if isinstance(entity, Source):
            for creator in entity.creators:
                self.reference(ident, "creators", creator, frozenset({DMO.Actor}))
            if entity.publisher:
                self.reference(ident, "publisher", entity.publisher, frozenset({DMO.Actor}))
            for origin in entity.derived_from:
                self.reference(ident, "derived_from", origin, frozenset({DMO.Source}))
            if entity.comments_on:
                self.reference(ident, "comments_on", entity.comments_on, frozenset({DMO.Source}))

    def check_claim(self, ident: str, claim: Claim) -> None:
        if claim.source is None:
            self.error(ident, "source", "a claim needs a source (or claim_defaults.source)")
        else:
            self.reference(ident, "source", claim.source, frozenset({DMO.Source}))
        if claim.attributed_to:
            self.reference(ident, "attributed_to", claim.attributed_to, frozenset({DMO.Actor}))
        for target in claim.about:
            self.reference(ident, "about", target)
        for target in claim.trend_of:
            if target not in claim.about:
                self.error(ident, "trend_of", f"'{target}' is not among what the claim is about")
        for other in claim.corroborated_by:
            self.reference(ident, "corroborated_by", other, frozenset({DMO.Source}))
            if other == claim.source:
                self.error(ident, "corroborated_by", f"'{other}' is the claim's own source")

    def run(self) -> list[FactError]:
        self.resolve_types()
        for ident, entity in self.facts.entities.items():
            self.check_entity(ident, entity)
        for ident, claim in self.facts.claims.items():
            self.check_claim(ident, claim)
        return self.errors


def _with_defaults(claim: Claim, fact_file: FactFile) -> Claim:
    defaults = fact_file.claim_defaults
    if defaults is None:
        return claim
    return claim.model_copy(update={
        "source": claim.source or defaults.source,
        "attributed_to": claim.attributed_to or defaults.attributed_to,
        "period": claim.period or defaults.period,
    })


def load_facts(facts_dir: Path, index: OntologyIndex) -> Facts:
    """Load every *.yaml file of facts_dir; raise FactsInvalid listing every problem."""
    files = sorted(facts_dir.glob("*.yaml"))
    if not files:
        raise FactsInvalid([FactError(facts_dir, None, None, None, "no *.yaml fact files")])
    return combine_facts([(path, read_fact_file(path)) for path in files], index)


def combine_facts(files: Sequence[tuple[Path, ReadFactFile]], index: OntologyIndex) -> Facts:
    """Gather fact files already read, in order; raise FactsInvalid listing every problem."""
    facts = Facts()
    errors: list[FactError] = []
    refs: dict[str, Located] = {}  # a claim's row of the curation table names it alone
    for path, (fact_file, file_errors, root) in files:
        facts.files.append(path)
        errors += file_errors
        if fact_file is None:
            continue
        sections: list[tuple[str, Sequence[Entity | Claim]]] = [
            ("entities", fact_file.entities), ("sources", fact_file.sources),
            ("claims", fact_file.claims)]
        for section, items in sections:
            for position, item in enumerate(items):
                where = Located(path, _line_of(root, [section, position]),
                                f"{section}[{position}] ({item.id})")
                if item.id in index.individuals:
                    errors.append(FactError(path, where.line, where.entry, "id",
                                            f"'{item.id}' is defined by the ontology"))
                    continue
                if item.id in facts.places:
                    first = facts.places[item.id]
                    errors.append(FactError(path, where.line, where.entry, "id",
                                            f"'{item.id}' is already defined at "
                                            f"{first.file}:{first.line}"))
                    continue
                facts.places[item.id] = where
                if (isinstance(item, Claim) and item.ref is not None
                        and (first := refs.setdefault(item.ref, where)) is not where):
                    errors.append(FactError(path, where.line, where.entry, "ref",
                                            f"ref '{item.ref}' is already given to "
                                            f"{first.entry} at {first.file}:{first.line}"))
                if isinstance(item, Claim):
                    facts.claims[item.id] = _with_defaults(item, fact_file)
                else:
                    facts.entities[item.id] = item
    errors += _Checker(facts, index).run()
    if errors:
        raise FactsInvalid(errors)
    return facts
