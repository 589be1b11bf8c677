/* Two more ways to see a SELECT answer in the query editor, drawn as SVG with no library and
   no request beyond this service: "chart" (bars for a label column and a number column) and
   "map" (places of the graph with curated coordinates, or latitude/longitude columns, over the
   boundaries the service draws from Natural Earth). Each keeps a table of what it draws. */
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var NUMERIC = /#(integer|decimal|double|float|long|int|short|nonNegativeInteger)$/;

  function el(name, attrs, text) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function shown(term) {
    if (!term) { return ""; }
    if (term.type === "uri") {
      var hash = term.value.split(/[#\/]/);
      return hash[hash.length - 1] || term.value;
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

  function icon(text) { var s = document.createElement("span"); s.textContent = text; return s; }

  /* Bars: the first column holding numbers against the first other column. */
  function ChartView(yasr) { this.yasr = yasr; this.priority = 8; this.label = "Chart"; }
  ChartView.prototype.columns = function () {
    var results = this.yasr.results, vars = results && results.getVariables();
    var rows = results && results.getBindings && results.getBindings();
    if (!vars || !rows || !rows.length) { return null; }
    var number = vars.find(function (v) {
      return rows.every(function (r) { return r[v] && r[v].datatype && NUMERIC.test(r[v].datatype); });
    });
    var label = vars.find(function (v) { return v !== number; });
    return number && label ? { number: number, label: label, rows: rows } : null;
  };
  ChartView.prototype.canHandleResults = function () { return this.columns() !== null; };
  ChartView.prototype.getIcon = function () { return icon("▮"); };
  ChartView.prototype.draw = function () {
    var c = this.columns(), rows = c.rows.slice(0, 60);
    var top = Math.max.apply(null, rows.map(function (r) { return Number(r[c.number].value); }).concat([1]));
    var height = rows.length * 22 + 10, svg = el("svg", { viewBox: "0 0 760 " + height, width: "760",
      height: String(height), role: "img", "aria-label": c.number + " / " + c.label,
      "class": "dmkg-chart", "font-family": "system-ui, sans-serif", "font-size": "12" });
    rows.forEach(function (r, i) {
      var value = Number(r[c.number].value), name = shown(r[c.label]), y = 5 + i * 22;
      var g = el("g", { "class": "bar" });
      g.appendChild(el("title", {}, name + ": " + value));
      g.appendChild(el("text", { x: "244", y: String(y + 14), "text-anchor": "end" },
                       name.length > 34 ? name.slice(0, 33) + "…" : name));
      g.appendChild(el("rect", { x: "250", y: String(y + 3), height: "15", fill: "#3d6aa8",
                                 width: String(Math.max(2, 440 * value / top)) }));
      g.appendChild(el("text", { x: String(256 + 440 * value / top), y: String(y + 14) }, String(value)));
      svg.appendChild(g);
    });
    this.yasr.resultsEl.appendChild(svg);
    var details = document.createElement("details"), summary = document.createElement("summary");
    summary.textContent = "Table";
    details.appendChild(summary);
    details.appendChild(table([c.label, c.number], rows.map(function (r) {
      return [shown(r[c.label]), r[c.number].value];
    })));
    this.yasr.resultsEl.appendChild(details);
  };

  /* Points: IRIs of places with curated coordinates, or latitude/longitude columns. */
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
  function MapView(yasr) { this.yasr = yasr; this.priority = 7; this.label = "Map"; }
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
  MapView.prototype.draw = function () {
    var yasr = this.yasr, vars = yasr.results.getVariables(), rows = yasr.results.getBindings();
    var holder = document.createElement("div");
    holder.className = "dmkg-map";
    yasr.resultsEl.appendChild(holder);
    var lat = vars.find(function (v) { return /^lat(itude)?$/i.test(v); });
    var lon = vars.find(function (v) { return /^(long|lon|lng|longitude)$/i.test(v); });
    Promise.all([fetch("/map/base.svg").then(function (r) { return r.text(); }), loadPlaces()])
      .then(function (got) {
        holder.innerHTML = got[0];  // drawn by this service from escaped parts
        var svg = holder.querySelector("svg"), d = svg.dataset;
        var west = +d.west, north = +d.north, factor = +d.factor, scale = +d.scale;
        var points = [];
        rows.forEach(function (r) {
          if (lat && lon && r[lat] && r[lon]) {
            var name = vars.filter(function (v) { return v !== lat && v !== lon; }).map(function (v) { return shown(r[v]); }).join(" ");
            points.push({ name: name, latitude: +r[lat].value, longitude: +r[lon].value });
          }
          vars.forEach(function (v) {
            var place = r[v] && r[v].type === "uri" && got[1][r[v].value];
            if (place) { points.push({ name: place.label, latitude: place.latitude, longitude: place.longitude }); }
          });
        });
        var seen = {};
        points = points.filter(function (p) { var k = p.name + p.latitude + p.longitude; return seen[k] ? false : (seen[k] = true); });
        points.forEach(function (p) {
          var x = (p.longitude - west) * factor * scale, y = (north - p.latitude) * scale;
          var g = el("g", { "class": "point" });
          g.appendChild(el("title", {}, p.name + " (" + p.latitude + ", " + p.longitude + ")"));
          g.appendChild(el("circle", { cx: String(x), cy: String(y), r: "6", fill: "#c0392b", stroke: "#fff" }));
          g.appendChild(el("text", { x: String(x + 9), y: String(y - 6), "font-size": "12",
                                     "font-family": "system-ui, sans-serif" }, p.name));
          svg.appendChild(g);
        });
        holder.appendChild(table(["", "latitude", "longitude"], points.map(function (p) {
          return [p.name, String(p.latitude), String(p.longitude)];
        })));
      });
  };

  window.Yasr.registerPlugin("chart", ChartView);
  window.Yasr.registerPlugin("map", MapView);
})();
