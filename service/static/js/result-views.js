/* Two more ways to see a SELECT answer in the query editor, registered as YASR plugins and
   drawn as SVG by the vendored Vega-Lite (vendor/vega-*, no request beyond this service):
   "chart" (bars for a label column and a number column) and "map" (places of the graph with
   their coordinates as the graph states them, or latitude/longitude columns, over the Natural
   Earth boundaries of the vendored world-atlas). Each keeps a table of what it draws. */
(function () {
  "use strict";
  var NUMERIC = /#(integer|decimal|double|float|long|int|short|nonNegativeInteger)$/;
  var BOUNDARIES = "/static/vendor/world-atlas-2.0.2/countries-50m.json";
  // The views' names in the page's language, handed over by the page (service/i18n.py).
  var WORDS = JSON.parse(document.getElementById("chrome-words").textContent).views;
  // Drawn as SVG (a text-bearing picture), with no menu linking to outside editors; the
  // expressions are interpreted (ast), since the pages' policy forbids evaluating strings.
  var EMBED = { renderer: "svg", actions: false, tooltip: true, ast: true };

  function shown(term) {
    if (!term) { return ""; }
    if (term.type === "uri") {
      var parts = term.value.split(/[#\/]/);
      return parts[parts.length - 1] || term.value;
    }
    return term.value;
  }

  function table(head, rows) {
    var t = document.createElement("table");
    t.className = "dmkg-view-table";
    var tr = document.createElement("tr");
    head.forEach(function (h) { var th = document.createElement("th"); th.textContent = h; tr.appendChild(th); });
    t.appendChild(tr);
    rows.forEach(function (row) {
      var r = document.createElement("tr");
      row.forEach(function (cell) { var td = document.createElement("td"); td.textContent = cell; r.appendChild(td); });
      t.appendChild(r);
    });
    return t;
  }

  /* The picture's holder and, beneath it, the same data as a table (for screen readers). */
  function holders(yasr, kind, head, rows) {
    var picture = document.createElement("div");
    picture.className = "dmkg-" + kind;
    yasr.resultsEl.appendChild(picture);
    var details = document.createElement("details"), summary = document.createElement("summary");
    summary.textContent = WORDS.table;
    details.appendChild(summary);
    details.appendChild(table(head, rows));
    yasr.resultsEl.appendChild(details);
    return picture;
  }

  function icon(text) { var s = document.createElement("span"); s.textContent = text; return s; }

  /* Bars: the first column holding numbers against the first other column. */
  function ChartView(yasr) { this.yasr = yasr; this.priority = 8; this.label = WORDS.chart; }
  ChartView.prototype.columns = function () {
    var results = this.yasr.results, vars = results && results.getVariables();
    var rows = results && results.getBindings && results.getBindings();
    if (!vars || !rows || !rows.length) { return null; }
    var number = vars.find(function (v) {
      return rows.every(function (r) { return r[v] && r[v].datatype && NUMERIC.test(r[v].datatype); });
    });
    // Bars are named by a column of text (a label) when there is one, else by the first other.
    var others = vars.filter(function (v) { return v !== number; });
    var label = others.find(function (v) {
      return rows.every(function (r) { return r[v] && r[v].type === "literal"; });
    }) || others[0];
    return number && label ? { number: number, label: label, rows: rows } : null;
  };
  ChartView.prototype.canHandleResults = function () { return this.columns() !== null; };
  ChartView.prototype.getIcon = function () { return icon("▮"); };
  ChartView.prototype.draw = function () {
    var c = this.columns();
    var values = c.rows.slice(0, 60).map(function (r) {
      return { name: shown(r[c.label]), value: Number(r[c.number].value) };
    });
    var picture = holders(this.yasr, "chart", [c.label, c.number], values.map(function (v) {
      return [v.name, String(v.value)];
    }));
    var spec = {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      description: c.number + " / " + c.label,
      data: { values: values }, width: 440, mark: { type: "bar", color: "#3d6aa8" },
      encoding: {
        y: { field: "name", type: "nominal", sort: null, title: c.label,
             axis: { labelLimit: 240 } },
        x: { field: "value", type: "quantitative", title: c.number },
        tooltip: [{ field: "name", title: c.label }, { field: "value", title: c.number }]
      }
    };
    return window.vegaEmbed(picture, spec, EMBED);
  };

  /* Points: IRIs of places whose coordinates the graph states, or latitude/longitude columns. */
  var places = null;
  function loadPlaces() {
    if (!places) {
      places = fetch("/map?format=json").then(function (r) { return r.json(); }).then(function (rows) {
        var found = {};
        rows.forEach(function (p) {
          if (p.latitude !== undefined) { found["https://w3id.org/dmkg/id/" + p.id] = p; }
        });
        return found;
      });
    }
    return places;
  }
  function MapView(yasr) { this.yasr = yasr; this.priority = 7; this.label = WORDS.map; }
  MapView.prototype.canHandleResults = function () {
    var results = this.yasr.results, vars = results && results.getVariables();
    var rows = results && results.getBindings && results.getBindings();
    if (!vars || !rows || !rows.length) { return false; }
    var hasLatLong = vars.some(function (v) { return /^lat(itude)?$/i.test(v); });
    var hasPlace = rows.some(function (r) {
      return vars.some(function (v) { return r[v] && r[v].type === "uri" && r[v].value.indexOf("/id/place/") > 0; });
    });
    return hasLatLong || hasPlace;
  };
  MapView.prototype.getIcon = function () { return icon("●"); };
  /* One point per row: a row naming a place of the graph and giving its coordinates is one
     place, named once (by the graph), not once for its IRI and again for its columns. */
  MapView.prototype.points = function (known) {
    var vars = this.yasr.results.getVariables(), rows = this.yasr.results.getBindings();
    var lat = vars.find(function (v) { return /^lat(itude)?$/i.test(v); });
    var lon = vars.find(function (v) { return /^(long|lon|lng|longitude)$/i.test(v); });
    var points = [];
    rows.forEach(function (r) {
      var named = vars.map(function (v) { return r[v] && r[v].type === "uri" && known[r[v].value]; })
        .filter(Boolean);
      if (lat && lon && r[lat] && r[lon]) {
        var name = named.length ? named[0].label : vars.filter(function (v) { return v !== lat && v !== lon; })
          .map(function (v) { return shown(r[v]); }).join(" ");
        points.push({ name: name, latitude: +r[lat].value, longitude: +r[lon].value });
      } else {
        named.forEach(function (place) {
          points.push({ name: place.label, latitude: place.latitude, longitude: place.longitude });
        });
      }
    });
    var seen = {};
    return points.filter(function (p) {
      var k = p.name + p.latitude + p.longitude;
      return seen[k] ? false : (seen[k] = true);
    });
  };
  MapView.prototype.draw = function () {
    var view = this;
    return loadPlaces().then(function (known) {
      var points = view.points(known);
      var picture = holders(view.yasr, "map", [WORDS.place, WORDS.latitude, WORDS.longitude],
                            points.map(function (p) { return [p.name, String(p.latitude), String(p.longitude)]; }));
      return window.vegaEmbed(picture, mapSpec(points), EMBED);
    });
  };

  /* The area the points span, at least metropolitan France, as a shape to fit the projection to. */
  function extent(points) {
    var west = -5, east = 9.6, south = 41.3, north = 51.2;
    points.forEach(function (p) {
      west = Math.min(west, p.longitude - 1); east = Math.max(east, p.longitude + 1);
      south = Math.min(south, p.latitude - 1); north = Math.max(north, p.latitude + 1);
    });
    return { type: "Feature", properties: {}, geometry: { type: "Polygon", coordinates: [[
      [west, south], [west, north], [east, north], [east, south], [west, south]]] } };
  }

  function mapSpec(points) {
    return {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      width: 640, height: 560,
      projection: { type: "mercator", fit: extent(points) },
      layer: [
        { data: { url: BOUNDARIES, format: { type: "topojson", feature: "countries" } },
          mark: { type: "geoshape", fill: "#fbfaf5", stroke: "#9aa3ad", strokeWidth: 0.7, clip: true } },
        { data: { values: points },
          mark: { type: "circle", size: 120, color: "#c0392b", stroke: "#fff", opacity: 1 },
          encoding: {
            longitude: { field: "longitude", type: "quantitative" },
            latitude: { field: "latitude", type: "quantitative" },
            tooltip: [{ field: "name", title: WORDS.place }, { field: "latitude" }, { field: "longitude" }]
          } },
        { data: { values: points },
          mark: { type: "text", dx: 8, dy: -8, align: "left", fontSize: 12, fontWeight: 600 },
          encoding: {
            longitude: { field: "longitude", type: "quantitative" },
            latitude: { field: "latitude", type: "quantitative" },
            text: { field: "name" }
          } }
      ]
    };
  }

  window.Yasr.registerPlugin("chart", ChartView);
  window.Yasr.registerPlugin("map", MapView);
})();
