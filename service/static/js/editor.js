// The query editor: YASGUI with the example queries, shared links and the linked dataset.
// Its data comes from the page (JSON blocks), so that the page runs no inline script.
  (function () {
    var examples = JSON.parse(document.getElementById("examples").textContent);
    var words = JSON.parse(document.getElementById("editor-words").textContent);
    var endpoint = new URL(words.endpoint, window.location.href).href;
    var page = window.location.origin + window.location.pathname;

    function shareLink(yasqe) {
      // The query alone, in the fragment: no length limit, and the page reads it back.
      return page + "#query=" + encodeURIComponent(yasqe.getValue());
    }

    // The protocol dataset (default-graph-uri, named-graph-uri) a /sparql?query= link named.
    var dataset = JSON.parse(document.getElementById("linked-dataset").textContent);

    function hashQuery() {
      var hash = window.location.hash.replace(/^#/, "");
      return hash ? new URLSearchParams(hash).get("query") : null;
    }

    function sharedQuery() {
      var linked = JSON.parse(document.getElementById("linked-query").textContent);
      return linked || hashQuery();
    }

    var yasgui = new Yasgui(document.getElementById("yasgui"), {
      requestConfig: { endpoint: endpoint, method: "POST" },
      copyEndpointOnNewTab: true,
      // Tabs and their edits are kept in this browser's storage across reloads.
      persistenceId: "dmkg-sparql-editor",
      autoAddOnInit: false,
      populateFromUrl: false,
      endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
      // Offline: complete the prefixes of this dataset (js/prefixes.json: geo: is W3C Basic
      // Geo here, not GeoSPARQL as in the editor's own list) and variables from the query.
      yasqe: { autocompleters: ["prefixes", "variables"], createShareableLink: shareLink,
               consumeShareLink: null, prefixCcApi: words.prefixes },
      // Answers as a table, a chart or a map (js/result-views.js, drawn by Vega-Lite), or the
      // raw response.
      yasr: { pluginOrder: ["table", "chart", "map", "response"] }
    });

    // As protocol parameters (YASGUI 4.6 writes its own defaultGraphs setting under the
    // wrong values).
    function datasetArgs(graphs) {
      return graphs.defaultGraphs.map(function (g) { return { name: "default-graph-uri", value: g }; })
        .concat(graphs.namedGraphs.map(function (g) { return { name: "named-graph-uri", value: g }; }));
    }

    function same(a, b) { return JSON.stringify(a || []) === JSON.stringify(b || []); }

    function tabWith(query, graphs) {
      var ids = yasgui.persistentConfig.getTabs();
      for (var i = 0; i < ids.length; i++) {
        var config = yasgui.persistentConfig.getTab(ids[i]);
        var request = (config && config.requestConfig) || {};
        if (config && config.yasqe && config.yasqe.value === query
            && same(request.args, datasetArgs(graphs))) { return ids[i]; }
      }
      return null;
    }

    function open(name, query, run, graphs) {
      graphs = graphs || { defaultGraphs: [], namedGraphs: [] };
      var id = tabWith(query, graphs);
      var tab;
      if (id) {
        yasgui.selectTabId(id);
        tab = yasgui.getTab(id);
      } else {
        tab = yasgui.addTab(true, { name: name, yasqe: { value: query },
                                    requestConfig: { endpoint: endpoint, method: "POST",
                                                     args: datasetArgs(graphs) } });
      }
      if (run) {
        tab.show();
        tab.getYasqe().query().catch(function () {});
      }
      return tab;
    }

    var shared = sharedQuery();
    if (shared) {
      open(words.handed, shared, true, dataset);
      // Consumed: a reload now shows the tabs as left, edits included.
      history.replaceState(null, "", page);
    } else if (yasgui.persistentConfig.getTabs().length === 0 && examples.length) {
      open(examples[0].name, examples[0].query, false);
    }

    // YASGUI stores a tab's query when the editor loses focus or runs it; store every edit
    // as it is typed, so that a reload (which blurs nothing) keeps it too.
    function keep(tab) {
      var yasqe = tab && tab.getYasqe();
      if (!yasqe || yasqe.dmkgKept) { return; }
      yasqe.dmkgKept = true;
      var timer = null;
      yasqe.on("change", function () {
        clearTimeout(timer);
        timer = setTimeout(function () { tab.handleYasqeBlur(yasqe); }, 200);
      });
    }
    // Each results panel says which kind of answer it draws (ttl: the triples of a CONSTRUCT
    // or DESCRIBE), before drawing it, so that js/chrome-fr.js names a triple's columns but
    // leaves a SELECT's variables as the query named them.
    function mark(tab) {
      var yasr = tab && tab.getYasr();
      if (!yasr || yasr.dmkgMarked) { return; }
      yasr.dmkgMarked = true;
      yasr.on("draw", function () {
        yasr.rootEl.setAttribute("data-answer", yasr.results ? yasr.results.getType() || "" : "");
      });
    }
    function watch(tab) { keep(tab); mark(tab); }
    watch(yasgui.getTab());
    yasgui.on("tabSelect", function (_, id) { setTimeout(function () { watch(yasgui.getTab(id)); }); });
    yasgui.on("tabAdd", function (_, id) { setTimeout(function () { watch(yasgui.getTab(id)); }); });
    window.addEventListener("pagehide", function () {
      var tab = yasgui.getTab();
      if (tab && tab.getYasqe()) { tab.handleYasqeBlur(tab.getYasqe()); }
    });

    // A shared #query= link followed in a tab where the editor is already open.
    window.addEventListener("hashchange", function () {
      var query = hashQuery();
      if (!query) { return; }
      open(words.handed, query, true);
      history.replaceState(null, "", page);
    });

    var menu = document.getElementById("examples-menu");
    menu.addEventListener("change", function () {
      var example = examples[Number(menu.value)];
      menu.value = "";
      if (example) { open(example.name, example.query, false); }
    });
    window.dmkgYasgui = yasgui;
  })();
