"""The words of the HTML pages in English and French, and how a page picks its language."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from babel.numbers import format_decimal
from flask import Flask, Response, request
from werkzeug.wrappers import Request

from kg.catalogue import Catalogue

LANGUAGES = ("en", "fr")
# Remembers the language a reader chose with ?lang=, so that every later page keeps it.
LANG_COOKIE = "dmkg_lang"

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "also_known_as": "Also known as", "what": "What it is", "role": "What it is",
        "identifiers": "Identifiers",
        "relations": "Relations", "incoming": "Referred to by", "claims": "Claims about it",
        "measures": "Control measures", "source": "Source", "quote": "Quote",
        "confidence": "confidence", "kind": "kind", "trend": "trend", "period": "period",
        "from": "from", "until": "until", "requires": "requires", "status": "status",
        "established_by": "established by", "stated": "Claims stated in this source",
        "neighbourhood": "Neighbourhood", "other_forms": "This page as data",
        "search": "Search", "search_placeholder": "a substance, channel, place, source…",
        "results": "results", "result": "result", "no_results": "Nothing matches.", "home": "Home",
        "editor": "SPARQL editor", "api": "REST API", "ontology": "Ontology",
        "attributed": "attributed to", "exact": "exact match", "close": "close match (to verify)",
        "note": "Note", "by": "by", "published_by": "published by", "derived": "derived from",
        "browse": "Browse", "claims_browser": "Claims", "map": "Map",
        "contents": "Contents", "triples": "triples", "kinds": "By kind", "classes": "By class",
        "entities": "entities", "filter": "Filter", "filter_placeholder": "part of a name",
        "sort": "Sort by", "name": "name", "identifier": "identifier", "ascending": "A → Z",
        "descending": "Z → A", "apply": "Apply", "page": "Page", "previous": "Previous",
        "next": "Next", "of": "of", "shown": "shown", "subclasses": "subclasses",
        "all_claims": "All claims", "any": "any",
        "substance": "substance", "channel": "channel", "place": "place",
        "download": "Download this selection", "for_excel": "CSV for Excel",
        "for_excel_title": "UTF-8 with a byte-order mark, comma-separated",
        "open_in_editor": "Open as a SPARQL query",
        "clear_filters": "Clear every filter", "count": "count", "claims_per": "Claims per",
        "charts": "Claims at a glance", "as_table": "The same as a table",
        "map_intro": "Places of the graph: cities with Drive points, trafficking murders and "
                     "reporting sites. Coordinates: GeoNames (CC BY 4.0), facts of the graph with "
                     "their source. Boundaries: Natural Earth (public domain).",
        "coordinates": "coordinates", "coordinates_source": "source of the coordinates",
        "not_drawn": "not on this map", "no_coordinates": "no coordinates in the graph",
        "legend": "Legend", "outgoing": "from this entity", "incoming_link": "to this entity",
        "and_more": "and {n} more", "claims_table": "Claims stated in this source",
        "year": "year", "none": "none",
        "site_name": "DMKG, the Drug-Market Knowledge Graph",
        "neighbourhood_text": "The same links are listed in the Relations and Referred to by "
                              "tables above.",
        "neighbourhood_one": "The same links are listed in the {table} table above.",
        "claim_facet_source": "source", "claim_facet_kind": "kind",
        "claim_facet_confidence": "confidence", "claim_facet_trend": "trend",
        "claim_facet_substance": "substance", "claim_facet_channel": "channel",
        "claim_facet_place": "place", "claim_facet_period": "period (year)",
        "switch": "Français", "did_you_mean": "Did you mean", "facets": "Refine",
        "facet_kind": "Kind", "facet_class": "Class", "facet_source": "Source",
        "facet_claim_kind": "Claim kind", "facet_confidence": "Confidence",
        "facet_trend": "Trend", "facet_all": "any",
        "timeline": "Control measures over time", "measure": "measure",
        "other_name": "other name",
        "in_no_subclass": "in no subclass: {n}",
        "counted_twice": "the subclasses count {n} more: some individuals are in several",
        "timeline_of": "Control measure timeline: {name}",
        "neighbourhood_of": "Neighbourhood: {name}",
        "duties_only": "duties only", "regulates": "applies to", "as_of": "status as of",
        # Punctuation: French puts a no-break space before : ; ? ! and inside « ».
        "colon": ":", "semicolon": ";", "question": "?", "open_quote": "“", "close_quote": "”",
        "between_coordinates": ", ",
    },
    "fr": {
        "also_known_as": "Autres noms", "what": "Classes", "identifiers": "Identifiants",
        "relations": "Relations", "incoming": "Cité par", "claims": "Affirmations à son sujet",
        "measures": "Mesures de contrôle", "source": "Source", "quote": "Citation",
        "confidence": "confiance", "kind": "type d\u2019affirmation", "trend": "tendance",
        "period": "période", "role": "Rôle",
        "from": "début", "until": "fin", "requires": "impose",
        "status": "statut", "established_by": "établie par",
        "stated": "Affirmations énoncées dans cette source", "neighbourhood": "Voisinage",
        "other_forms": "Cette page en données", "search": "Rechercher",
        "search_placeholder": "substance, canal, lieu, source…",
        "results": "résultats", "result": "résultat", "no_results": "Aucun résultat.",
        "home": "Accueil",
        "editor": "Éditeur SPARQL", "api": "API REST", "ontology": "Ontologie",
        "attributed": "attribuée à", "exact": "correspondance exacte",
        "close": "correspondance proche (à vérifier)", "note": "Note", "by": "par",
        "published_by": "publié par", "derived": "dérivé de", "switch": "English",
        "browse": "Parcourir", "claims_browser": "Affirmations", "map": "Carte",
        "contents": "Contenu", "triples": "triplets", "kinds": "Par catégorie",
        "classes": "Par classe", "entities": "entités", "filter": "Filtrer",
        "filter_placeholder": "une partie du nom", "sort": "Trier par", "name": "nom",
        "identifier": "identifiant", "ascending": "A → Z", "descending": "Z → A",
        "apply": "Appliquer", "page": "Page", "previous": "Précédente", "next": "Suivante",
        "of": "sur", "shown": "affichées", "subclasses": "sous-classes",
        "all_claims": "Toutes les affirmations", "any": "toutes",
        "substance": "substance", "channel": "canal", "place": "lieu",
        "download": "Télécharger cette sélection", "for_excel": "CSV pour Excel",
        "for_excel_title": "UTF-8 avec indicateur d\u2019ordre des octets, séparé par des "
                           "points-virgules",
        "open_in_editor": "Ouvrir en requête SPARQL",
        "clear_filters": "Retirer tous les filtres", "count": "nombre",
        "claims_per": "Affirmations par",
        "charts": "Les affirmations en un coup d\u2019œil",
        "as_table": "Les mêmes données en tableau",
        "map_intro": "Les lieux du graphe\u202f: villes où opèrent des «\u00a0Drive\u00a0», "
                     "meurtres liés au trafic et sites d\u2019observation. Coordonnées\u202f: "
                     "GeoNames (CC BY 4.0), faits du graphe avec leur source. "
                     "Frontières\u202f: Natural Earth (domaine public).",
        "coordinates": "coordonnées", "coordinates_source": "source des coordonnées",
        "not_drawn": "hors de cette carte", "no_coordinates": "sans coordonnées dans le graphe",
        "legend": "Légende", "outgoing": "depuis cette entité",
        "incoming_link": "vers cette entité",
        "and_more": "et {n} autres", "claims_table": "Affirmations énoncées dans cette source",
        "year": "année", "none": "aucune",
        "site_name": "DMKG, le graphe de connaissances des marchés des drogues "
                     "(Drug-Market Knowledge Graph)",
        "neighbourhood_text": "Les mêmes liens figurent dans les tableaux Relations et Cité par "
                              "ci-dessus.",
        "neighbourhood_one": "Les mêmes liens figurent dans le tableau {table} ci-dessus.",
        "claim_facet_source": "source", "claim_facet_kind": "type d\u2019affirmation",
        "claim_facet_confidence": "confiance", "claim_facet_trend": "tendance",
        "claim_facet_substance": "substance", "claim_facet_channel": "canal",
        "claim_facet_place": "lieu", "claim_facet_period": "période (année)",
        "did_you_mean": "Vouliez-vous dire", "facets": "Affiner", "facet_kind": "Catégorie",
        "facet_class": "Classe", "facet_source": "Source",
        "facet_claim_kind": "Type d\u2019affirmation", "facet_confidence": "Confiance",
        "facet_trend": "Tendance", "facet_all": "toutes",
        "timeline": "Mesures de contrôle dans le temps", "measure": "mesure",
        "other_name": "autre nom",
        "in_no_subclass": "sans sous-classe\u202f: {n}",
        "counted_twice": "les sous-classes en comptent {n} de plus\u202f: certains individus "
                         "relèvent de plusieurs",
        "timeline_of": "Chronologie des mesures de contrôle\u202f: {name}",
        "neighbourhood_of": "Voisinage\u202f: {name}",
        "duties_only": "obligations seules", "regulates": "s\u2019applique à",
        "as_of": "statut à la date du",
        "colon": "\u202f:", "semicolon": "\u202f;", "question": "\u202f?",
        "between_coordinates": "\u202f; ",
        "open_quote": "«\u00a0",
        "close_quote": "\u00a0»",
    },
}

# The chrome of the query editor (YASGUI's own controls stay in English).
EDITOR_WORDS: dict[str, dict[str, str]] = {
    "en": {"title": "DMKG SPARQL query editor", "heading": "DMKG SPARQL endpoint",
           "examples": "Examples:", "examples_prompt": "the competency questions…",
           "examples_label": "Open an example query in a new tab", "home": "Home",
           "ontology": "Ontology", "description": "Service description",
           "handed": "Shared query", "switch": "Français", "other": "fr",
           "noscript": "The editor needs JavaScript. Without it, write a query here and "
                       "your browser gets its answer in the format you choose.",
           "query": "Query", "format": "Answer format", "run": "Run the query",
           "results": "SELECT and ASK", "graphs": "CONSTRUCT and DESCRIBE",
           "open_example": "Open an example query in this form:"},
    "fr": {"title": "Éditeur de requêtes SPARQL de DMKG",
           "heading": "Point d\u2019accès SPARQL de DMKG",
           "examples": "Exemples\u202f:", "examples_prompt": "les questions de compétence…",
           "examples_label": "Ouvrir un exemple de requête dans un nouvel onglet",
           "home": "Accueil", "ontology": "Ontologie", "description": "Description du service",
           "handed": "Requête partagée", "switch": "English", "other": "en",
           "noscript": "L\u2019éditeur a besoin de JavaScript. Sans lui, écrivez ici une "
                       "requête\u202f: votre navigateur en reçoit la réponse dans le format "
                       "choisi.",
           "query": "Requête", "format": "Format de la réponse", "run": "Lancer la requête",
           "results": "SELECT et ASK", "graphs": "CONSTRUCT et DESCRIBE",
           "open_example": "Ouvrir un exemple de requête dans ce formulaire\u202f:"},
}

# The introduction of the REST API's documentation page (Swagger UI's controls stay English).
API_WORDS: dict[str, dict[str, str]] = {
    "en": {"title": "DMKG REST API", "home": "Home", "switch": "Français", "other": "fr",
           "intro": "Look up, search and list the Drug-Market Knowledge Graph. Every answer is "
                    "JSON; errors are JSON objects with code, status and message. Entity "
                    "look-ups take lang=en or lang=fr for the labels they show. Try any route "
                    "below with “Try it out” (with JavaScript).",
           "noscript": "The interactive documentation needs JavaScript. Without it, here are "
                       "the operations; the OpenAPI document describes each in full.",
           "operations": "Operations", "openapi": "OpenAPI document (JSON)"},
    "fr": {"title": "API REST de DMKG", "home": "Accueil", "switch": "English", "other": "en",
           "intro": "Consulter, rechercher et lister le graphe de connaissances sur les marchés "
                    "des drogues. Toutes les réponses sont en JSON\u202f; les erreurs sont des "
                    "objets JSON avec code, status et message. Les consultations d\u2019entités "
                    "acceptent lang=fr ou lang=en pour la langue des libellés. Chaque route "
                    "ci-dessous se teste avec «\u00a0Essayer\u00a0» (avec JavaScript).",
           "noscript": "La documentation interactive a besoin de JavaScript. Sans lui, voici "
                       "les opérations\u202f; le document OpenAPI les décrit en détail.",
           "operations": "Opérations", "openapi": "Document OpenAPI (JSON)"},
}

# The REST API's own texts (its OpenAPI document's title, summaries and descriptions, written
# in English for every client) as the French API docs page shows them; keys are the English
# texts with their spacing folded (api_text_key).
API_FRENCH: dict[str, str] = {
    "DMKG REST API": "API REST de DMKG",
    "Look up, search and list the Drug-Market Knowledge Graph. Every answer is JSON; errors "
    "are JSON objects with code, status and message.":
        "Consulter, rechercher et lister le graphe de connaissances sur les marchés des "
        "drogues. Toutes les réponses sont en JSON\u202f; les erreurs sont des objets JSON avec "
        "code, status et message.",
    "Look up an entity by kind and slug.": "Consulter une entité par sa sorte et son identifiant.",
    "Labels in both languages, types, identifiers, relations in both directions, control "
    "measures, and the claims about it with their quotes and sources.":
        "Libellés dans les deux langues, types, identifiants, relations dans les deux sens, "
        "mesures de contrôle, et les affirmations qui la concernent avec leurs citations et "
        "leurs sources.",
    "language of labels, falling back to the other":
        "langue des libellés, à défaut l\u2019autre",
    "The legal status of an entity on a day: the control measures in force.":
        "Le statut légal d\u2019une entité à une date\u202f: les mesures de contrôle en vigueur.",
    "Measures that regulate the entity itself (a substance, or a medicinal product such as "
    "injectable ketamine preparations), each with its category, its legal text and its state "
    "that day.":
        "Les mesures qui régissent l\u2019entité elle-même (une substance, ou un médicament comme "
        "les préparations injectables de kétamine), chacune avec sa catégorie, son texte "
        "juridique et son état ce jour-là.",
    "the day asked about, YYYY-MM-DD": "la date demandée, AAAA-MM-JJ",
    "place id such as place/france or place/international; every jurisdiction when absent":
        "identifiant de lieu comme place/france ou place/international\u202f; toutes les "
        "juridictions s\u2019il est absent",
    "Look up an entity by its IRI.": "Consulter une entité par son IRI.",
    "the IRI of an individual": "l\u2019IRI d\u2019un individu",
    "Search names, alternative names, quotes, summaries and notes, in English and French.":
        "Rechercher dans les noms, les autres noms, les citations, les résumés et les notes, "
        "en français et en anglais.",
    "Case and accents do not matter; alternative names count (ecstasy finds MDMA). Exact names "
    "rank first, then starts of names, names holding every word, pieces of names, the texts, "
    "and last names and words of texts spelt alike, a word found nowhere as typed matching a "
    "few edits away or as the closest name or word (kokain finds cocaine, archive the quote "
    "with archives), with did_you_mean: the whole text corrected, names in lang. Facets count "
    "the matches; the filters keep some of them. Past a thousand names matched as typed, "
    "total and facets count those alone (total_exact is then false).":
        "Majuscules et accents n\u2019importent pas\u202f; les autres noms comptent (ecstasy "
        "trouve MDMA). Les noms exacts viennent d\u2019abord, puis les débuts de noms, les noms "
        "contenant chaque mot, les morceaux de noms, les textes, et enfin les noms et les mots "
        "des textes d\u2019une orthographe voisine\u202f: un mot introuvable tel que tapé "
        "correspond à quelques modifications près, ou au nom ou au mot le plus proche (kokain "
        "trouve cocaïne, archive la citation qui contient archives), avec did_you_mean\u202f: "
        "tout le texte corrigé, les noms dans la langue lang. Les facettes comptent les "
        "résultats\u202f; les filtres en gardent une partie. Au-delà de mille noms trouvés tels "
        "que tapés, total et les facettes ne comptent qu\u2019eux (total_exact vaut alors "
        "false).",
    "text to find in names, any language, any case, with or without accents":
        "texte à trouver dans les noms, en toute langue, majuscules ou minuscules, avec ou sans "
        "accents",
    "keep entities of these DMO classes": "garder les entités de ces classes de DMO",
    "keep entities of these kinds (claim, …)": "garder les entités de ces sortes (claim, …)",
    "keep claims stated in these sources (ids)":
        "garder les affirmations énoncées dans ces sources (identifiants)",
    "keep claims of these kinds (ReportedFinding, Opinion, …)":
        "garder les affirmations de ces genres (ReportedFinding, Opinion, …)",
    "count the matches by facet": "compter les résultats par facette",
    "Names beginning as typed so far, for search boxes.":
        "Les noms qui commencent par ce qui est tapé, pour les champs de recherche.",
    "the start of a name": "le début d\u2019un nom",
    "List the DMO classes that have individuals, with how many each has.":
        "Lister les classes de DMO qui ont des individus, avec leur nombre.",
    "List the sources: documents, reports, comments and legal texts.":
        "Lister les sources\u202f: documents, rapports, commentaires et textes juridiques.",
    "List claims, filtered by what they are about, their kind, trend, confidence or source.":
        "Lister les affirmations, filtrées par leur objet, leur genre, leur tendance, leur "
        "niveau de confiance ou leur source.",
    "id such as substance/ketamine": "identifiant comme substance/ketamine",
    "keep claims of this confidence: a concept id such as concept/high-confidence, or its "
    "short form high-confidence":
        "garder les affirmations de ce niveau de confiance\u202f: un identifiant de concept "
        "comme concept/high-confidence, ou sa forme courte high-confidence",
    "keep claims with this trend: a concept id such as concept/increasing, or its short form "
    "increasing":
        "garder les affirmations de cette tendance\u202f: un identifiant de concept comme "
        "concept/increasing, ou sa forme courte increasing",
    "List the competency questions that can be run, with their parameters.":
        "Lister les questions de compétence que l\u2019on peut lancer, avec leurs paramètres.",
    "Run a competency question, named in full or by its short name (cq02).":
        "Lancer une question de compétence, nommée en entier ou par son nom court (cq02).",
}


def api_text_key(text: str) -> str:
    """An API text as API_FRENCH keys it: its spacing folded (docstrings wrap lines)."""
    return " ".join(text.split())


# The controls of the vendored query editor (YASGUI 4.6) and API docs (Swagger UI 5) in French:
# neither has translations of its own, so service/static/js/chrome-fr.js rewrites them from
# this table, which the page hands it (chrome_words).
CHROME_FRENCH: dict[str, str] = {
    "Close tab": "Fermer l\u2019onglet", "Add tab": "Ajouter un onglet",
    "Add a new tab": "Ajouter un onglet", "Open settings": "Ouvrir les réglages",
    "Settings": "Réglages", "Request method": "Méthode de la requête",
    "Accept Headers": "En-têtes Accept", "Arguments": "Arguments",
    "Header Arguments": "En-têtes de la requête", "Default Graphs": "Graphes par défaut",
    "Named Graphs": "Graphes nommés", "Clear endpoint": "Effacer le point d\u2019accès",
    "Table": "Tableau", "Response": "Réponse", "Simple view": "Vue simple",
    "Ellipse": "Abréger", "Filter query results": "Filtrer les résultats",
    "Page size:": "Lignes par page\u202f:", "All": "Toutes",
    "Download result": "Télécharger le résultat", "Download Results": "Télécharger le résultat",
    "Download not supported": "Cette vue ne se télécharge pas",
    "First": "Première", "Previous": "Précédente", "Next": "Suivante", "Last": "Dernière",
    "Run query": "Lancer la requête", "Share query": "Partager la requête",
    "Share your query": "Partager la requête", "Copy to clipboard": "Copier",
    "Create short link": "Créer un lien court", "Shorten": "Raccourcir", "Cancel": "Annuler",
    "Save": "Enregistrer", "Close": "Fermer", "Query": "Requête", "Fullscreen": "Plein écran",
    "Fix prefixes": "Corriger les préfixes", "Stop query": "Arrêter la requête",
    "No results": "Aucun résultat", "Add": "Ajouter", "Loading": "Chargement",
    "Showing 0 to 0 of 0 entries": "Aucune ligne",
    "No data available in table": "Aucune donnée dans le tableau",
    "No matching records found": "Aucune ligne ne correspond au filtre",
    "Try query in a new browser window": "Essayer la requête dans une nouvelle fenêtre",
    "Press CTRL - <spacebar> to autocomplete": "Ctrl + Espace pour compléter",
    # Swagger UI
    "Try it out": "Essayer", "Execute": "Exécuter", "Clear": "Effacer",
    "Parameters": "Paramètres", "No parameters": "Aucun paramètre", "Responses": "Réponses",
    "Name": "Nom", "Links": "Liens", "No links": "Aucun lien", "Media type": "Type de média",
    "Example Value": "Exemple", "Schema": "Schéma", "Schemas": "Schémas",
    "Response body": "Corps de la réponse", "Response headers": "En-têtes de la réponse",
    "Request URL": "URL de la requête", "Server response": "Réponse du serveur",
    "Details": "Détails", "Download": "Télécharger",
    # "Controls <code>Accept</code> header.": three pieces, the header's name kept.
    "Controls": "Règle l\u2019en-tête", "header.": "",
    "Media Type": "Type de média", "Available values": "Valeurs possibles",
    "Default value": "Valeur par défaut",
    "Loading...": "Chargement…", "Servers": "Serveurs", "Request body": "Corps de la requête",
    "required": "obligatoire", "Expand all": "Tout déplier", "Collapse all": "Tout replier",
}
# Controls with numbers or names in them: a pattern, and its French in each plural category
# (Intl.PluralRules' names, of the first number), {1}, {2}… its groups: numbers written as
# French writes them, words through CHROME_FRENCH.
CHROME_FRENCH_PATTERNS: tuple[tuple[str, dict[str, str]], ...] = (
    (r"^(\d+) results? in ([\d.]+) seconds?$",
     {"one": "{1} résultat en {2} s", "other": "{1} résultats en {2} s"}),
    (r"^Response in ([\d.]+) seconds?$", {"other": "Réponse en {1} s"}),
    (r"^Showing (\d+) to (\d+) of (\d+) entr(?:y|ies)$", {"other": "Lignes {1} à {2} sur {3}"}),
    (r"^Showing (\d+) to (\d+) of (\d+) entr(?:y|ies) "
     r"\(filtered from (\d+) total entr(?:y|ies)\)$",
     {"other": "Lignes {1} à {2} sur {3} (filtrées parmi {4})"}),
    (r"^Could not render results with the (.+) plugin, the results currently are rendered "
     r"with the (.+) plugin\.$",
     {"other": "Ces résultats ne peuvent pas être montrés dans la vue {1}\u202f: "
               "ils sont montrés dans la vue {2}."}),
    (r"^Could not render results with the (.+) plugin, the results currently are rendered "
     r"with the (.+) plugin\. See$",
     {"other": "Ces résultats ne peuvent pas être montrés dans la vue {1}\u202f: "
               "ils sont montrés dans la vue {2}. Voir"}),
    # The service's own error for a query the engine cannot read: the engine's words follow.
    (r"^(?:query|update) syntax error: ([\s\S]+)$",
     {"other": "Erreur de syntaxe dans la requête\u202f: {1}"}),
    (r"^Shows (.+) view$", {"other": "Montrer la vue {1}"}),
    (r"^View documentation of (.+)$", {"other": "Documentation de la vue {1}"}),
    (r"^(.+): Activate to sort$", {"other": "{1}\u202f: cliquer pour trier"}),
)
# The columns YASR gives the triples of a CONSTRUCT or DESCRIBE answer (not a SELECT's
# variables, which keep the names the query gave them).
TRIPLE_COLUMNS: dict[str, dict[str, str]] = {
    "fr": {"subject": "sujet", "predicate": "prédicat", "object": "objet"},
}
# The names of the query editor's own result views (service/static/js/result-views.js).
VIEW_WORDS: dict[str, dict[str, str]] = {
    "en": {"chart": "Chart", "map": "Map", "table": "Table", "latitude": "latitude",
           "longitude": "longitude", "place": "place"},
    "fr": {"chart": "Graphique", "map": "Carte", "table": "Tableau", "latitude": "latitude",
           "longitude": "longitude", "place": "lieu"},
}

# Names of the kinds of individuals (the first part of their ids).
KIND_NAMES: dict[str, dict[str, str]] = {
    "en": {"substance": "substances", "channel": "channels", "actor": "actors",
           "place": "places", "regulation": "regulations", "source": "sources",
           "claim": "claims", "practice": "practices", "risk": "risks", "factor": "factors",
           "concept": "concepts"},
    "fr": {"substance": "substances", "channel": "canaux", "actor": "acteurs",
           "place": "lieux", "regulation": "réglementations", "source": "sources",
           "claim": "affirmations", "practice": "pratiques", "risk": "risques",
           "factor": "facteurs", "concept": "concepts"},
}

# The same, one of them: the kind of a search result.
KIND_NAME: dict[str, dict[str, str]] = {
    "en": {"substance": "substance", "channel": "channel", "actor": "actor", "place": "place",
           "regulation": "regulation", "source": "source", "claim": "claim",
           "practice": "practice", "risk": "risk", "factor": "factor", "concept": "concept"},
    "fr": {"substance": "substance", "channel": "canal", "actor": "acteur", "place": "lieu",
           "regulation": "réglementation", "source": "source", "claim": "affirmation",
           "practice": "pratique", "risk": "risque", "factor": "facteur", "concept": "concept"},
}

# Labels of the properties the graph borrows from other vocabularies (DMO's come from the
# ontology), so that no reader sees a bare IRI.
PROPERTY_LABELS: dict[str, dict[str, str]] = {
    "http://www.w3.org/ns/prov#wasDerivedFrom": {"en": "derived from", "fr": "dérivé de"},
    "http://www.w3.org/ns/prov#wasAttributedTo": {"en": "attributed to", "fr": "attribué à"},
    "https://schema.org/url": {"en": "web address", "fr": "adresse web"},
    "http://schema.org/url": {"en": "web address", "fr": "adresse web"},
    "http://www.w3.org/2000/01/rdf-schema#seeAlso": {"en": "see also", "fr": "voir aussi"},
    "http://www.w3.org/2002/07/owl#sameAs": {"en": "same as", "fr": "identique à"},
    "http://www.w3.org/2004/02/skos/core#notation": {"en": "reference", "fr": "référence"},
    "http://www.w3.org/2004/02/skos/core#related": {"en": "related to", "fr": "lié à"},
    "http://purl.org/dc/terms/title": {"en": "title", "fr": "titre"},
    "http://purl.org/dc/terms/creator": {"en": "author", "fr": "auteur"},
    "http://purl.org/dc/terms/publisher": {"en": "publisher", "fr": "éditeur"},
    "http://purl.org/dc/terms/date": {"en": "date", "fr": "date"},
    "http://purl.org/dc/terms/isPartOf": {"en": "part of", "fr": "partie de"},
    "http://purl.org/dc/terms/language": {"en": "language", "fr": "langue"},
    "http://purl.org/dc/terms/bibliographicCitation": {"en": "citation", "fr": "référence"},
    "http://www.w3.org/2003/01/geo/wgs84_pos#lat": {"en": "latitude", "fr": "latitude"},
    "http://www.w3.org/2003/01/geo/wgs84_pos#long": {"en": "longitude", "fr": "longitude"},
}
# The datatypes of literals written as numbers in the reader's language.
NUMBER_TYPES = frozenset(f"http://www.w3.org/2001/XMLSchema#{name}" for name in (
    "decimal", "double", "float", "integer", "int", "long", "nonNegativeInteger"))

# The words of an error page: the status's name and what it means to a reader. The service's
# own message follows as a detail, in French through ERROR_MESSAGES when it is one of theirs.
ERROR_WORDS: dict[str, dict[str, str]] = {
    "en": {"home": "Home", "search": "Search", "detail": "", "detail_en": "",
           "retry": "Try again in {n} s.",
           "explain_4": "This request could not be answered as it was made.",
           "explain_404": "No page lives at this address.",
           "explain_405": "This address does not answer this method.",
           "explain_406": "This address has no answer in the format asked for.",
           "explain_429": "Too many requests came from you in a short time: wait a moment "
                          "before trying again.",
           "explain_5": "The server could not answer this request.",
           "explain_503": "The service could not answer this request now: it was too busy or "
                          "the work took too long."},
    "fr": {"home": "Accueil", "search": "Rechercher", "detail": "Détail\u202f:",
           "detail_en": "Détail (en anglais)\u202f:", "retry": "Réessayez dans {n}\u00a0s.",
           "400": "Requête incorrecte", "401": "Authentification requise",
           "403": "Accès refusé", "404": "Page introuvable", "405": "Méthode non autorisée",
           "406": "Format non disponible", "408": "Délai de la requête dépassé",
           "409": "Conflit", "411": "Longueur requise", "413": "Requête trop volumineuse",
           "414": "Adresse trop longue", "415": "Type de contenu non pris en charge",
           "422": "Requête non traitable", "429": "Trop de requêtes",
           "431": "En-têtes trop volumineux", "500": "Erreur interne du serveur",
           "501": "Non implémenté", "502": "Mauvaise passerelle", "503": "Service indisponible",
           "504": "Délai de la passerelle dépassé",
           "explain_4": "Cette demande n\u2019a pas pu être satisfaite telle qu\u2019elle est "
                        "formulée.",
           "explain_404": "Aucune page ne se trouve à cette adresse.",
           "explain_405": "Cette adresse ne répond pas à cette méthode.",
           "explain_406": "Cette adresse n\u2019a pas de réponse dans le format demandé.",
           "explain_429": "Trop de requêtes sont venues de vous en peu de temps\u202f: "
                          "patientez un moment avant de recommencer.",
           "explain_5": "Le serveur n\u2019a pas pu répondre à cette demande.",
           "explain_503": "Le service n\u2019a pas pu répondre à cette demande pour "
                          "l\u2019instant\u202f: il était trop sollicité ou le travail a "
                          "pris trop de temps."},
}

# The service's own error messages a reader of the pages meets, in French: a pattern of the
# English message, and its French with the pattern's groups put back ({name}). A message
# matching none is shown as written, marked as English.
ERROR_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), french) for pattern, french in (
        (r"^parameter '(?P<name>[^']+)': expected an integer$",
         "paramètre «\u00a0{name}\u00a0»\u202f: un nombre entier est attendu"),
        (r"^parameter '(?P<name>[^']+)': expected (?P<low>-?\d+) to (?P<high>\d+)$",
         "paramètre «\u00a0{name}\u00a0»\u202f: un nombre de {low} à {high} est attendu"),
        (r"^parameter '(?P<name>[^']+)': expected one of (?P<values>.+)$",
         "paramètre «\u00a0{name}\u00a0»\u202f: valeurs possibles\u202f: {values}"),
        (r"^parameter 'format': expected html, csv or json$",
         "paramètre «\u00a0format\u00a0»\u202f: html, csv ou json est attendu"),
        (r"^parameter '(?P<name>[^']+)': expected (?P<values>[^ ]+)$",
         "paramètre «\u00a0{name}\u00a0»\u202f: valeur possible\u202f: {values}"),
        (r"^parameter '(?P<name>[^']+)': applies to (?P<what>\S+) only$",
         "paramètre «\u00a0{name}\u00a0»\u202f: ne vaut qu\u2019avec {what}"),
        (r"^parameter '(?P<name>[^']+)': '(?P<value>.*)' is not an? \w+ of this graph$",
         "paramètre «\u00a0{name}\u00a0»\u202f: «\u00a0{value}\u00a0» n\u2019est pas "
         "une valeur possible dans ce graphe"),
        (r"^invalid parameter (?P<names>.+)$", "paramètre invalide\u202f: {names}"),
        (r"^format '(?P<format>.*)' is not available here; use one of (?P<names>.+)$",
         "format «\u00a0{format}\u00a0» non disponible ici\u202f; formats possibles\u202f: "
         "{names}"),
        (r"^none of the accepted media types can be produced; available: (?P<types>.+)$",
         "aucun des types de média acceptés ne peut être produit\u202f; disponibles\u202f: "
         "{types}"),
        (r"^page (?P<page>\d+) is past the last page of this list$",
         "la page {page} est au-delà de la dernière page de cette liste"),
        (r"^no kind '(?P<kind>.*)'; kinds: (?P<kinds>.+)$",
         "aucune sorte «\u00a0{kind}\u00a0»\u202f; sortes\u202f: {kinds}"),
        (r"^no DMO class '(?P<name>.*)'$", "aucune classe DMO «\u00a0{name}\u00a0»"),
        (r"^no entity (?P<id>\S+) in this graph$", "aucune entité {id} dans ce graphe"),
        (r"^unknown format '(?P<format>.*)': the map is served as html or json$",
         "format inconnu «\u00a0{format}\u00a0»\u202f: la carte est servie en html ou json"),
        (r"^this service has version (?P<has>\S+) of the ontology, not (?P<asked>\S+)$",
         "ce service sert la version {has} de l\u2019ontologie, pas la version {asked}"),
        (r"^no graph <(?P<iri>[^>]+)> in (this dataset|the store)$",
         "aucun graphe <{iri}> dans ce jeu de données"),
        (r"^no resource <(?P<iri>[^>]+)> in this dataset's description$",
         "aucune ressource <{iri}> dans la description de ce jeu de données"),
        (r"^no dump (?P<name>\S+); this service has: (?P<names>.+)$",
         "aucun export {name}\u202f; ce service propose\u202f: {names}"),
        (r"^slow down and retry after Retry-After seconds$",
         "ralentissez, et réessayez après le délai indiqué par l\u2019en-tête Retry-After"),
        (r"^the query ran longer than the (?P<s>[\d.]+) s time limit and was stopped; .*$",
         "la requête a dépassé la limite de {s}\u00a0s et a été arrêtée\u202f; "
         "restreignez-la (LIMIT, motifs plus précis)"),
        (r"^the query needed more memory than the (?P<mb>[\d.]+) MB a query may use .*$",
         "la requête demandait plus que les {mb}\u00a0Mo de mémoire permis et a été "
         "arrêtée\u202f; restreignez-la (LIMIT, valeurs moins nombreuses ou plus courtes)"),
        (r"^the request line is longer than (?P<n>\d+) bytes; .*$",
         "la ligne de requête dépasse {n} octets\u202f; envoyez une longue requête par POST"),
        (r"^the request's header fields are more or longer than the service reads$",
         "les en-têtes de la requête sont trop nombreux ou trop longs"),
    ))


def error_message(message: str, lang: str) -> str | None:
    """The service's error message in lang, or None when it has no translation."""
    if lang == "en":
        return message
    for pattern, french in ERROR_MESSAGES:
        found = pattern.match(message)
        if found:
            return french.format(**found.groupdict())
    return None


MONTHS = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre"),
}
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def property_label(iri: str, lang: str) -> str | None:
    """The label of a borrowed property in lang, or None when it is not one we name."""
    labels = PROPERTY_LABELS.get(iri)
    return labels[lang] if labels else None


def date_text(value: object, lang: str) -> str:
    """Write an ISO date, year-month or year as people read it: 24 avril 2017, 1er mai."""
    text = str(value or "")
    match = _DATE.match(text)
    if not match:
        return text
    year, month, day = match.groups()
    if month is None:
        return year
    try:
        dt.date(int(year), int(month), int(day or 1))
    except ValueError:
        return text
    name = MONTHS[lang][int(month) - 1]
    if day is None:
        return f"{name} {year}"
    number = int(day)
    if lang == "fr":
        return f"{'1er' if number == 1 else number} {name} {year}"
    return f"{number} {name} {year}"


def number_text(value: object, lang: str) -> str:
    """Write a number as readers of lang do, every digit kept: 3,696.5 or 3 696,5, and in
    French a true minus sign (U+2212)."""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return minus(format_decimal(number, locale=lang, decimal_quantization=False), lang)


def minus(text: str, lang: str) -> str:
    """text with its hyphen-minus signs written as French typography wants them."""
    return text.replace("-", "\u2212") if lang == "fr" else text


def counted(count: int, one: str, many: str, lang: str) -> str:
    """A count and its noun: French puts 0 and 1 in the singular, English only 1."""
    singular = count < 2 if lang == "fr" else count == 1
    return f"{number_text(count, lang)} {one if singular else many}"


def moment_text(moment: dt.datetime, lang: str) -> str:
    """A moment in UTC as people of lang read it: 2 December 2026, 16:09 UTC, or
    2 décembre 2026 à 16 h 09 UTC."""
    moment = moment.astimezone(dt.UTC)
    day = date_text(moment.date().isoformat(), lang)
    if lang == "fr":
        return f"{day} à {moment.hour}\u00a0h\u00a0{moment.minute:02d} UTC"
    return f"{day}, {moment.hour:02d}:{moment.minute:02d} UTC"


def chrome_words(lang: str) -> dict[str, object]:
    """The words the editor's and API docs' scripts write, handed to them in the page."""
    words: dict[str, object] = {"views": VIEW_WORDS[lang]}
    if lang == "fr":
        words["exact"] = CHROME_FRENCH
        words["patterns"] = [[pattern, forms] for pattern, forms in CHROME_FRENCH_PATTERNS]
        words["triple_columns"] = TRIPLE_COLUMNS[lang]
        words["api_texts"] = API_FRENCH
    return words


def facet_label(catalogue: Catalogue, facet: str, value: str, lang: str) -> str:
    """The label of a search facet's value in lang: kinds named here, the rest by the graph."""
    if facet == "kind":
        return KIND_NAMES[lang].get(value, value)
    return catalogue.facet_label(facet, value, lang)


def page_language() -> str:
    """Pick the page language: ?lang= first, then the reader's choice, then Accept-Language."""
    return language_of(request)


def language_of(asking: Request) -> str:
    """The language a request asks for: ?lang=, then the lang cookie, then Accept-Language."""
    asked = asking.args.get("lang")
    if asked in LANGUAGES:
        return asked
    kept = asking.cookies.get(LANG_COOKIE)
    if kept in LANGUAGES:
        return kept
    best = asking.accept_languages.best_match(LANGUAGES)
    return best or "en"


def remember_language(asking: Request, response: Response) -> Response:
    """Keep the language a page was asked for with ?lang= in the lang cookie."""
    asked = asking.args.get("lang")
    if (asked in LANGUAGES and asking.cookies.get(LANG_COOKIE) != asked
            and response.mimetype == "text/html"):
        response.set_cookie(LANG_COOKIE, asked, max_age=365 * 24 * 3600, samesite="Lax",
                            httponly=True)
    return response


def _remember(response: Response) -> Response:
    return remember_language(request, response)


def init_app(app: Flask) -> None:
    """Keep a reader's language across pages and give templates French dates."""
    app.after_request(_remember)
    app.add_template_filter(date_text, "date_text")
    app.add_template_filter(number_text, "number_text")
    app.add_template_filter(moment_text, "moment_text")
    app.jinja_env.globals["counted"] = counted
    app.jinja_env.globals["NUMBER_TYPES"] = NUMBER_TYPES
    app.jinja_env.globals["KIND_NAMES"] = KIND_NAMES
    app.jinja_env.globals["KIND_NAME"] = KIND_NAME
