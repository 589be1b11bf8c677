"""The expected answers of the competency questions, shared by every way of asking them."""

from __future__ import annotations

from dataclasses import dataclass

ID = "https://w3id.org/dmkg/id/"


@dataclass(frozen=True)
class Expected:
    """Values a column must hold: at least these (or exactly these when exact)."""

    column: str
    values: frozenset[str]
    exact: bool = False
    listed: bool = False  # the column holds a ", "-separated list in no set order


def ids(*slugs: str) -> frozenset[str]:
    return frozenset(ID + s for s in slugs)


EXPECTED: dict[str, list[Expected]] = {
    "cq01-call-center-substances": [
        Expected("substance", ids("substance/cocaine", "substance/mdma",
                                  "substance/herbal-cannabis", "substance/crack"), exact=True)],
    "cq02-drive-cities": [
        Expected("label", frozenset({"Paris", "Bordeaux", "Lille", "Rennes", "Toulouse"}),
                 exact=True)],
    "cq03-ketamine-measures-france": [
        Expected("measure", ids("regulation/ketamine-fr-stupefiants-1997",
                                "regulation/injectable-ketamine-fr-liste-i",
                                "regulation/injectable-ketamine-fr-stupefiants-2017",
                                "regulation/ketamine-fr-theft-reporting-2001",
                                "regulation/ketamine-fr-locked-storage-2003"), exact=True),
        Expected("from", frozenset({"1997", "2017-04-24", "2001", "2003"}), exact=True),
        Expected("requirements", frozenset({"secure prescription", "special register",
                                            "theft reporting", "locked storage"}), exact=True,
                 listed=True),
    ],
    "cq04-claims-relayed-from-report": [
        Expected("ref", frozenset({f"F{n}" for n in range(4, 19)} | {"F21", "F26"}),
                 exact=True)],
    "cq05-growing-channels": [
        Expected("channel", ids("channel/sms-ordering", "channel/dark-web")),
        Expected("extent", frozenset({"marginal"}), exact=True),
    ],
    "cq06-practices-online-channels-risks": [
        Expected("practice", ids("practice/chemsex", "practice/slam"), exact=True),
        Expected("risks", frozenset({"HIV transmission", "exhaustion"}), exact=True,
                 listed=True),
    ],
    "cq07-misuse-by-non-users": [
        Expected("substance", ids("substance/codeine-medicines", "substance/strong-opioids",
                                  "substance/weak-opioids"), exact=True)],
    "cq08-trafficking-murders-cities": [
        Expected("label", frozenset({"Lille", "Rennes", "Bordeaux"}))],
    "cq09-opinions-and-authors": [
        Expected("ref", frozenset({"F20", "F23", "F24", "F27", "F28"}), exact=True),
        Expected("author", frozenset({"Aurélie Haroche", "Dr F. Chassaing"}), exact=True),
    ],
    "cq10-substance-names-identifiers": [
        Expected("wikidata_ids", frozenset({"Q41576", "Q69488", "Q243547", "Q174723", "Q81225",
                                            "Q407592"})),
        Expected("chebi_ids", frozenset({"CHEBI:27958", "CHEBI:1391", "CHEBI:6121",
                                         "CHEBI:16714", "CHEBI:17303"})),
        Expected("label_fr", frozenset({"cocaïne", "kétamine", "codéine", "herbe de cannabis"})),
    ],
    "cq11-drivers-of-distribution-change": [
        Expected("factor", ids("factor/buyers-reluctance", "factor/violence-near-selling-points",
                               "factor/police-presence-state-of-emergency"), exact=True)],
    "cq12-dark-web-requirements": [
        Expected("requirement", ids("concept/planning-ahead", "concept/computer-equipment",
                                    "concept/minimal-know-how",
                                    "concept/protection-against-scams"), exact=True)],
    "cq13-claim-provenance": [
        Expected("article_date", frozenset({"2017-03-14"})),
        Expected("article_author", frozenset({"Aurélie Haroche"})),
        Expected("report_date", frozenset({"2016-12"})),
        Expected("report_publisher",
                 frozenset({"French Monitoring Centre for Drugs and Drug Addiction (OFDT)"})),
        Expected("report_author", frozenset({"Agnès Cadet-Taïrou", "Michel Gandilhon",
                                             "Magali Martinez", "Thomas Néfau",
                                             "Maitena Milhet"})),
    ],
    "cq14-french-medicine-measures-2017": [
        Expected("from", frozenset({"2017-04-24", "2017-07-17"}), exact=True)],
    "cq15-international-control-status": [
        Expected("status", frozenset({"UN 1961 Convention, Schedule I",
                                      "UN 1961 Convention, Schedule II",
                                      "UN 1961 Convention, Schedule III",
                                      "UN 1961 Convention, Schedule IV",
                                      "UN 1971 Convention, Schedule I",
                                      "not under international control"}), exact=True),
        # Entry into force of the conventions, or a later addition; never a signature year.
        Expected("from", frozenset({"1964-12-13", "1986"}), exact=True),
    ],
    "cq16-status-at-date": [
        Expected("state", frozenset({"in force", "not in force", "confirmed"}), exact=True),
    ],
}

# Pairs a row must hold together: (column, value, column, value).
PAIRS: dict[str, list[tuple[str, str, str, str]]] = {
    "cq05-growing-channels": [("channel", ID + "channel/dark-web", "extent", "marginal")],
    "cq15-international-control-status": [
        ("label", "cocaine", "status", "UN 1961 Convention, Schedule I"),
        ("label", "herbal cannabis", "status", "UN 1961 Convention, Schedule I"),
        ("label", "codeine", "status", "UN 1961 Convention, Schedule II"),
        ("label", "MDMA", "status", "UN 1971 Convention, Schedule I"),
        ("label", "ketamine", "status", "not under international control"),
        # The lowest confidence by rank: the crack inference (medium) outranks R6 (high).
        ("label", "cocaine", "claim_confidence", "medium"),
        ("label", "ketamine", "claim_confidence", "high"),
        ("label", "herbal cannabis", "until", "2020-12-02"),
    ],
    "cq14-french-medicine-measures-2017": [
        ("from", "2017-04-24", "medicines", "injectable ketamine preparations"),
    ],
    "cq16-status-at-date": [
        # On 1 May 2017 the injectable preparations are narcotics; the substance since 1997.
        ("measure", ID + "regulation/injectable-ketamine-fr-stupefiants-2017",
         "entity", ID + "substance/injectable-ketamine"),
        ("measure", ID + "regulation/ketamine-fr-stupefiants-1997",
         "entity", ID + "substance/ketamine"),
        ("measure", ID + "regulation/ketamine-not-internationally-controlled",
         "state", "confirmed"),
        ("measure", ID + "regulation/un-1961-schedule-iv-cannabis", "state", "in force"),
        # Ended on 24 April 2017, so not in force on 1 May 2017.
        ("measure", ID + "regulation/injectable-ketamine-fr-liste-i", "state", "not in force"),
        ("measure", ID + "regulation/injectable-ketamine-fr-stupefiants-2017", "state", "in force"),
    ],
    "cq13-claim-provenance": [
        ("claim", ID + "claim/ofdt-t115-drive-cities", "report_author", "Thomas Néfau"),
        ("claim", ID + "claim/ofdt-t115-drive-cities", "article_author", "Aurélie Haroche"),
    ],
}


# Rows where a column holds a value must leave another column empty: (column, value, column).
ABSENT: dict[str, list[tuple[str, str, str]]] = {
    "cq05-growing-channels": [("channel", ID + "channel/sms-ordering", "extent")],
}


# Values no row may hold in a column: (column, value).
NEVER: dict[str, list[tuple[str, str]]] = {
    # Dating sites are mentioned by F17, but what rises there is the users' strategies.
    "cq05-growing-channels": [("channel", ID + "channel/dating-sites")],
}


def check_answer(name: str, rows: list[dict[str, str]]) -> None:
    """Assert that rows answer the competency question name as expected."""
    assert rows, f"{name} returned no rows"
    for expected in EXPECTED[name]:
        found = {row[expected.column] for row in rows if row.get(expected.column)}
        if expected.listed:
            found = {part for value in found for part in value.split(", ")}
        if expected.exact:
            assert found == expected.values, (name, expected.column, found)
        else:
            assert expected.values <= found, (name, expected.column, found)
    for left, left_value, right, right_value in PAIRS.get(name, []):
        assert any(row.get(left) == left_value and row.get(right) == right_value
                   for row in rows), (name, left_value, right_value)
    for column, value, empty in ABSENT.get(name, []):
        assert all(not row.get(empty) for row in rows if row.get(column) == value), (name, value)
    for column, value in NEVER.get(name, []):
        assert all(row.get(column) != value for row in rows), (name, column, value)
