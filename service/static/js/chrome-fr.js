/* The chrome of the vendored query editor and API docs in French. Neither YASGUI 4.6 nor
   Swagger UI 5 has translations of its own, so the buttons, labels, titles and placeholders
   inside each element marked data-french-chrome are rewritten as they are drawn (a
   MutationObserver), leaving queries, answers and API descriptions untouched. The words come
   from the page (the JSON block #chrome-words, written from service/i18n.py). */
(function () {
  "use strict";
  var block = document.getElementById("chrome-words");
  var WORDS = block ? JSON.parse(block.textContent) : {};
  if (document.documentElement.lang !== "fr" || !WORDS.exact) { return; }
  var EXACT = WORDS.exact;
  var NUMBER = /^\d+(\.\d+)?$/;
  var numbers = new Intl.NumberFormat("fr", { maximumFractionDigits: 6 });
  var plurals = new Intl.PluralRules("fr");
  // Each group in its French form: a number as French writes it, a word through EXACT.
  function group(value) {
    if (NUMBER.test(value)) { return numbers.format(Number(value)); }
    return Object.prototype.hasOwnProperty.call(EXACT, value) ? EXACT[value] : value;
  }
  var PATTERNS = WORDS.patterns.map(function (entry) {
    var forms = entry[1];
    return [new RegExp(entry[0]), function (m) {
      var first = m.slice(1).filter(function (v) { return NUMBER.test(v); })[0];
      var form = (first !== undefined && forms[plurals.select(Number(first))]) || forms.other;
      return form.replace(/\{(\d+)\}/g, function (_, index) { return group(m[Number(index)]); });
    }];
  });
  // What is not chrome: the query being written (the editor's buttons sit beside it, inside
  // .CodeMirror), answers, and the API's own descriptions, examples and response bodies.
  var SKIP = ".CodeMirror-lines, pre, code, .dataTable tbody, .dmkg-chart, .dmkg-map, " +
             ".markdown, .renderedMarkdown, .headerline";
  // Inside those, still chrome: an empty table's message, and the introduction of the
  // service's error message (the engine's own words after it are kept).
  var CHROME_INSIDE = ".dt-empty, .errorResult pre";
  // The columns of an answer made of triples (editor.js marks its panel data-answer="ttl").
  var TRIPLES = '[data-answer="ttl"] thead';
  var COLUMNS = WORDS.triple_columns || {};

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
      if (element && node.nodeType === 3 && element.closest(TRIPLES)
          && Object.prototype.hasOwnProperty.call(COLUMNS, node.nodeValue.trim())) {
        node.nodeValue = node.nodeValue.replace(node.nodeValue.trim(), COLUMNS[node.nodeValue.trim()]);
      } else if (!(element && element.closest(SKIP) && !element.closest(CHROME_INSIDE))) {
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
