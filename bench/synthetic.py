"""A synthetic drug-market graph that follows the DMO ontology, at any scale, from a seed.

Substances, channels, places, actors, sources, claims (with quotes, summaries, confidence,
trends and provenance) and control measures, in the same named graphs as the real build:
about 20 triples per claim, so that N triples need about N/20 claims.

    python -m bench.synthetic --triples 1000000 --out /tmp/synthetic-1m.nq [--seed 1]
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Iterator
from pathlib import Path

DMO = "https://w3id.org/dmkg/ontology#"
DMR = "https://w3id.org/dmkg/id/"
FACTS = "<https://w3id.org/dmkg/graph/facts>"
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
ALT = "<http://www.w3.org/2004/02/skos/core#altLabel>"
TITLE = "<http://purl.org/dc/terms/title>"
DATE = "<http://purl.org/dc/terms/date>"
CREATOR = "<http://purl.org/dc/terms/creator>"
XSD_DATE = "<http://www.w3.org/2001/XMLSchema#date>"

SYLLABLES = ["ka", "to", "mi", "ne", "ra", "lo", "se", "vu", "di", "pha", "cro", "zen", "bu",
             "qui", "tra", "mol", "dex", "ami", "nor", "ket", "oxy", "cod", "eth", "lyn"]
KINDS = {"substance": ["Stimulant", "Opioid", "Cannabinoid", "Dissociative", "Entactogen"],
         "channel": ["OrderingChannel", "DeliveryChannel", "PointOfSale", "OnlineChannel"],
         "place": ["City"], "actor": ["PopulationGroup", "Person"]}
TRENDS = ["increasing", "strongly-increasing", "decreasing", "stable", "emerging", "marginal"]
CONFIDENCE = ["high-confidence", "medium-confidence", "low-confidence"]


def _literal(text: str, lang: str | None = None) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"@{lang}' if lang else f'"{escaped}"'


def _iri(kind_slug: str) -> str:
    return f"<{DMR}{kind_slug}>"


def _name(rng: random.Random, words: int) -> str:
    return " ".join("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
                    for _ in range(words))


def quads(triples: int, seed: int = 1) -> Iterator[str]:
    """Yield about `triples` N-Quads lines, the same lines for the same seed."""
    rng = random.Random(seed)
    claims = max(triples // 20, 10)
    entities_per_kind = max(claims // 8, 5)
    sources = max(claims // 25, 3)
    pools: dict[str, list[str]] = {}
    for kind, classes in KINDS.items():
        pools[kind] = []
        for n in range(entities_per_kind):
            ident = f"{kind}/synthetic-{n}"
            pools[kind].append(ident)
            name = _name(rng, 1 if kind == "substance" else 2)
            yield f"{_iri(ident)} {RDF_TYPE} <{DMO}{rng.choice(classes)}> {FACTS} ."
            yield f"{_iri(ident)} {LABEL} {_literal(name, 'en')} {FACTS} ."
            yield f"{_iri(ident)} {LABEL} {_literal(name + 'e', 'fr')} {FACTS} ."
            yield f"{_iri(ident)} {ALT} {_literal(_name(rng, 1), 'en')} {FACTS} ."
    for n in range(entities_per_kind):
        channel = _iri(pools["channel"][n])
        yield f"{channel} <{DMO}distributes> {_iri(rng.choice(pools['substance']))} {FACTS} ."
        yield f"{channel} <{DMO}operatesIn> {_iri(rng.choice(pools['place']))} {FACTS} ."
        measure = f"regulation/synthetic-measure-{n}"
        yield f"{_iri(measure)} {RDF_TYPE} <{DMO}ControlMeasure> {FACTS} ."
        yield f"{_iri(measure)} {LABEL} {_literal('measure ' + _name(rng, 2), 'en')} {FACTS} ."
        yield f"{_iri(measure)} {LABEL} {_literal('mesure ' + _name(rng, 2), 'fr')} {FACTS} ."
        yield f"{_iri(measure)} <{DMO}regulates> {_iri(rng.choice(pools['substance']))} {FACTS} ."
        yield f"{_iri(measure)} <{DMO}jurisdiction> {_iri(rng.choice(pools['place']))} {FACTS} ."
        day = f"{rng.randint(1990, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        yield f'{_iri(measure)} <{DMO}effectiveFrom> "{day}"^^{XSD_DATE} {FACTS} .'
    source_ids = []
    for n in range(sources):
        ident = f"source/synthetic-{n}"
        source_ids.append(ident)
        yield f"{_iri(ident)} {RDF_TYPE} <{DMO}Report> {FACTS} ."
        yield f"{_iri(ident)} {LABEL} {_literal('report ' + _name(rng, 3), 'en')} {FACTS} ."
        yield f"{_iri(ident)} {LABEL} {_literal('rapport ' + _name(rng, 3), 'fr')} {FACTS} ."
        yield f"{_iri(ident)} {TITLE} {_literal(_name(rng, 5), 'fr')} {FACTS} ."
        yield f'{_iri(ident)} {DATE} "{rng.randint(2000, 2024)}-01-01"^^{XSD_DATE} {FACTS} .'
        yield f"{_iri(ident)} {CREATOR} {_iri(rng.choice(pools['actor']))} {FACTS} ."
    for n in range(claims):
        claim = _iri(f"claim/synthetic-{n}")
        words = _name(rng, 6)
        yield f"{claim} {RDF_TYPE} <{DMO}ReportedFinding> {FACTS} ."
        yield f"{claim} {LABEL} {_literal('finding ' + words, 'en')} {FACTS} ."
        yield f"{claim} {LABEL} {_literal('constat ' + words, 'fr')} {FACTS} ."
        yield f"{claim} <{DMO}quote> {_literal('« ' + _name(rng, 10) + ' »', 'fr')} {FACTS} ."
        yield f"{claim} <{DMO}summary> {_literal(_name(rng, 8), 'en')} {FACTS} ."
        yield f"{claim} <{DMO}summary> {_literal(_name(rng, 8), 'fr')} {FACTS} ."
        yield f"{claim} <{DMO}statedIn> {_iri(rng.choice(source_ids))} {FACTS} ."
        yield f"{claim} <{DMO}attributedTo> {_iri(rng.choice(pools['actor']))} {FACTS} ."
        yield (f"{claim} <{DMO}confidence> {_iri('concept/' + rng.choice(CONFIDENCE))} "
               f"{FACTS} .")
        yield f"{claim} <{DMO}trend> {_iri('concept/' + rng.choice(TRENDS))} {FACTS} ."
        for kind, prop in (("substance", "aboutSubstance"), ("channel", "aboutChannel"),
                           ("place", "aboutPlace")):
            target = _iri(rng.choice(pools[kind]))
            yield f"{claim} <{DMO}{prop}> {target} {FACTS} ."
            yield f"{claim} <{DMO}about> {target} <https://w3id.org/dmkg/graph/inferred> ."
        yield f'{claim} <{DMO}periodStart> "{rng.randint(2000, 2020)}"^^<http://www.w3.org/2001/XMLSchema#gYear> {FACTS} .'  # noqa: E501
        yield f"{claim} {RDF_TYPE} <{DMO}Claim> <https://w3id.org/dmkg/graph/inferred> ."


def write(triples: int, out: Path, seed: int = 1) -> int:
    """Write the synthetic dataset as N-Quads; return the number of lines."""
    count = 0
    with out.open("w", encoding="utf-8") as stream:
        for line in quads(triples, seed):
            stream.write(line + "\n")
            count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--triples", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(f"wrote {write(args.triples, args.out, args.seed)} quads to {args.out}")


if __name__ == "__main__":
    main()
