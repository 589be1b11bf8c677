"""The words of the HTML pages in English and French, and how a page picks its language."""

from __future__ import annotations

from flask import request

LANGUAGES = ("en", "fr")

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "also_known_as": "Also known as", "what": "What it is", "identifiers": "Identifiers",
        "relations": "Relations", "incoming": "Referred to by", "claims": "Claims about it",
        "measures": "Control measures", "source": "Source", "quote": "Quote",
        "confidence": "confidence", "kind": "kind", "trend": "trend", "period": "period",
        "from": "from", "until": "until", "requires": "requires", "status": "status",
        "established_by": "established by", "stated": "Claims stated in this source",
        "neighbourhood": "Neighbourhood", "other_forms": "This page as data",
        "search": "Search", "search_placeholder": "a substance, channel, place, source…",
        "results": "results", "no_results": "Nothing matches.", "home": "Home",
        "editor": "SPARQL editor", "api": "REST API", "ontology": "Ontology",
        "attributed": "attributed to", "exact": "exact match", "close": "close match (to verify)",
        "note": "Note", "by": "by", "published_by": "published by", "derived": "derived from",
        "switch": "Français", "did_you_mean": "Did you mean", "facets": "Refine",
        "facet_kind": "Kind", "facet_class": "Class", "facet_source": "Source",
        "facet_claim_kind": "Claim kind", "facet_confidence": "Confidence",
        "facet_trend": "Trend", "facet_all": "any",
        "timeline": "Control measures over time", "measure": "measure",
        "duties_only": "duties only", "regulates": "applies to",
    },
    "fr": {
        "also_known_as": "Autres noms", "what": "Nature", "identifiers": "Identifiants",
        "relations": "Relations", "incoming": "Cité par", "claims": "Affirmations à son sujet",
        "measures": "Mesures de contrôle", "source": "Source", "quote": "Citation",
        "confidence": "confiance", "kind": "nature", "trend": "tendance", "period": "période",
        "from": "à partir du", "until": "jusqu'au", "requires": "impose",
        "status": "statut", "established_by": "établie par",
        "stated": "Affirmations énoncées dans cette source", "neighbourhood": "Voisinage",
        "other_forms": "Cette page en données", "search": "Rechercher",
        "search_placeholder": "une substance, un canal, un lieu, une source…",
        "results": "résultats", "no_results": "Aucun résultat.", "home": "Accueil",
        "editor": "Éditeur SPARQL", "api": "API REST", "ontology": "Ontologie",
        "attributed": "attribuée à", "exact": "correspondance exacte",
        "close": "correspondance proche (à vérifier)", "note": "Note", "by": "par",
        "published_by": "publié par", "derived": "dérivé de", "switch": "English",
        "did_you_mean": "Vouliez-vous dire", "facets": "Affiner", "facet_kind": "Nature",
        "facet_class": "Classe", "facet_source": "Source",
        "facet_claim_kind": "Type d'affirmation", "facet_confidence": "Confiance",
        "facet_trend": "Tendance", "facet_all": "toutes",
        "timeline": "Mesures de contrôle dans le temps", "measure": "mesure",
        "duties_only": "obligations seules", "regulates": "s\u2019applique à",
    },
}


def page_language() -> str:
    """Pick the page language: ?lang= first, then Accept-Language, then English."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        return asked
    best = request.accept_languages.best_match(LANGUAGES)
    return best or "en"
