/* The chrome of the vendored query editor and API docs in French. Neither YASGUI 4.6 nor
   Swagger UI 5 has translations of its own, so the buttons, labels, titles and placeholders
   inside each element marked data-french-chrome are rewritten from this table as they are
   drawn (a MutationObserver), leaving queries, answers and API descriptions untouched. */
(function () {
  "use strict";
  if (document.documentElement.lang !== "fr") { return; }
  var EXACT = {
    "Close tab": "Fermer l’onglet", "Add tab": "Ajouter un onglet",
    "Add a new tab": "Ajouter un onglet", "Open settings": "Ouvrir les réglages",
    "Settings": "Réglages", "Request method": "Méthode de la requête",
    "Accept Headers": "En-têtes Accept", "Arguments": "Arguments",
    "Header Arguments": "En-têtes de la requête", "Default Graphs": "Graphes par défaut",
    "Named Graphs": "Graphes nommés", "Clear endpoint": "Effacer le point d’accès",
    "Table": "Tableau", "Response": "Réponse", "Simple view": "Vue simple",
    "Ellipse": "Abréger", "Filter query results": "Filtrer les résultats",
    "Page size:": "Lignes par page :", "All": "Toutes",
    "Download result": "Télécharger le résultat", "Download Results": "Télécharger le résultat",
    "First": "Première", "Previous": "Précédente", "Next": "Suivante", "Last": "Dernière",
    "pagination": "pagination", "Run query": "Lancer la requête",
    "Share query": "Partager la requête", "Share your query": "Partager la requête",
    "Copy to clipboard": "Copier", "Create short link": "Créer un lien court",
    "Shorten": "Raccourcir", "Cancel": "Annuler", "Save": "Enregistrer",
    "Close": "Fermer", "Query": "Requête", "Ask / Select": "Ask / Select",
    "Construct / Describe": "Construct / Describe", "Fullscreen": "Plein écran",
    "Fix prefixes": "Corriger les préfixes", "Stop query": "Arrêter la requête",
    "No results": "Aucun résultat", "Add": "Ajouter", "Loading": "Chargement",
    "Showing 0 to 0 of 0 entries": "Aucune ligne",
    // Swagger UI
    "Try it out": "Essayer", "Execute": "Exécuter", "Clear": "Effacer",
    "Parameters": "Paramètres", "No parameters": "Aucun paramètre", "Responses": "Réponses",
    "Name": "Nom", "Description": "Description", "Code": "Code", "Links": "Liens",
    "No links": "Aucun lien", "Media type": "Type de média", "Example Value": "Exemple",
    "Schema": "Schéma", "Schemas": "Schémas", "Response body": "Corps de la réponse",
    "Response headers": "En-têtes de la réponse", "Request URL": "URL de la requête",
    "Server response": "Réponse du serveur", "Details": "Détails", "Download": "Télécharger",
    "Controls Accept header.": "Règle l’en-tête Accept.", "Available values": "Valeurs possibles",
    "Default value": "Valeur par défaut", "Loading...": "Chargement…", "Servers": "Serveurs",
    "Request body": "Corps de la requête", "required": "obligatoire",
    "Expand all": "Tout déplier", "Collapse all": "Tout replier"
  };
  var PATTERNS = [
    [/^(\d+) results? in ([\d.]+) seconds?$/, function (m) {
      return m[1] + " résultat" + (m[1] === "1" ? "" : "s") + " en " + m[2].replace(".", ",") + " s"; }],
    [/^Showing (\d+) to (\d+) of (\d+) entries$/, function (m) {
      return "Lignes " + m[1] + " à " + m[2] + " sur " + m[3]; }],
    [/^Shows (.+) view$/, function (m) { return "Montrer la vue " + (EXACT[m[1]] || m[1]); }],
    [/^View documentation of (.+)$/, function (m) {
      return "Documentation de la vue " + (EXACT[m[1]] || m[1]); }],
    [/^(.+): Activate to sort$/, function (m) { return m[1] + " : cliquer pour trier"; }]
  ];
  var SKIP = ".CodeMirror, .dataTable tbody, .yasr_results pre, .dmkg-chart, .dmkg-map, " +
             ".markdown, .renderedMarkdown, .microlight, .highlight-code, .response-col_description";

  function french(text) {
    var trimmed = text.trim();
    if (!trimmed) { return null; }
    if (Object.prototype.hasOwnProperty.call(EXACT, trimmed)) {
      return EXACT[trimmed] === trimmed ? null : text.replace(trimmed, EXACT[trimmed]);
    }
    for (var i = 0; i < PATTERNS.length; i++) {
      var m = trimmed.match(PATTERNS[i][0]);
      if (m) { return text.replace(trimmed, PATTERNS[i][1](m)); }
    }
    return null;
  }

  function translate(root) {
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
    var node = root;
    while (node) {
      var element = node.nodeType === 1 ? node : node.parentElement;
      if (!(element && element.closest(SKIP))) {
        if (node.nodeType === 3) {
          var said = french(node.nodeValue);
          if (said !== null) { node.nodeValue = said; }
        } else {
          ["title", "aria-label", "placeholder"].forEach(function (name) {
            var value = node.getAttribute(name), changed = value && french(value);
            if (changed) { node.setAttribute(name, changed); }
          });
        }
      }
      node = walker.nextNode();
    }
  }

  function start() {
    document.querySelectorAll("[data-french-chrome]").forEach(watch);
  }

  function watch(root) {
    translate(root);
    new MutationObserver(function (records) {
      records.forEach(function (record) {
        if (record.type === "characterData") { translate(record.target.parentElement || root); }
        if (record.type === "attributes") { translate(record.target); }
        record.addedNodes.forEach(function (added) {
          if (added.nodeType === 1) { translate(added); }
          else if (added.nodeType === 3 && added.parentElement) { translate(added.parentElement); }
        });
      });
    }).observe(root, { childList: true, subtree: true, characterData: true, attributes: true,
                   attributeFilter: ["title", "aria-label", "placeholder"] });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); }
  else { start(); }
})();
