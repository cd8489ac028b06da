/* Assessment dashboard: the trend and breakdown charts (ECharts) and the closure-rate
   choropleth (Leaflet over /api/grids/features/ and /api/assessments/map/), with
   drill-down large → community → micro by double-click. The map's set-up is map-base.js. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("trend-data").textContent);

  function chart(id, option) {
    var el = document.getElementById(id);
    if (!el || !window.echarts) return;
    var c = window.echarts.init(el);
    c.setOption(option);
    window.addEventListener("resize", function () { c.resize(); });
  }

  chart("trend-chart", {
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 48, right: 48, top: 36, bottom: 28 },
    xAxis: { type: "category", data: data.months },
    yAxis: [{ type: "value", name: "" }, { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } }],
    series: [
      { name: data.labels.filed, type: "bar", data: data.filed, itemStyle: { color: "#93b4e8" } },
      { name: data.labels.closed, type: "bar", data: data.closed, itemStyle: { color: "#1d5fd1" } },
      { name: data.labels.closure, type: "line", yAxisIndex: 1, data: data.closure, itemStyle: { color: "#0f766e" } },
      { name: data.labels.onTime, type: "line", yAxisIndex: 1, data: data.onTime, itemStyle: { color: "#c2410c" } }
    ]
  });
  function pie(id, rows) {
    chart(id, {
      tooltip: { trigger: "item" },
      series: [{ type: "pie", radius: ["35%", "65%"], data: rows.map(function (r) { return { name: r[0], value: r[1] }; }),
                 label: { formatter: "{b} {c}" } }]
    });
  }
  pie("category-chart", data.categories);
  pie("source-chart", data.sources);

  // ---- the choropleth ----
  var mapEl = document.getElementById("closure-map");
  if (!mapEl) return;
  var h = MapBase.h;
  var config = MapBase.json("map-config");
  var status = document.getElementById("closure-map-status");
  var legend = document.getElementById("closure-map-legend");
  var map = MapBase.create(mapEl, config, { doubleClickZoom: false }); // double-click drills down instead
  var layer = null;
  var stack = [];
  var STEPS = [[95, "#166534"], [90, "#4d9a5a"], [80, "#d9c33b"], [60, "#ea8a2c"], [0, "#b42318"]];

  function color(rate) {
    if (rate === null || rate === undefined) return "#cbd5e1";
    for (var i = 0; i < STEPS.length; i++) { if (rate >= STEPS[i][0]) return STEPS[i][1]; }
    return STEPS[STEPS.length - 1][1];
  }
  STEPS.forEach(function (step) {
    legend.appendChild(h("span", { class: "swatch", style: "background:" + step[1] }));
    legend.appendChild(document.createTextNode("≥" + step[0] + "% "));
  });
  legend.appendChild(h("span", { class: "swatch", style: "background:#cbd5e1" }));
  legend.appendChild(document.createTextNode(config.strings.noData));

  function query(params) {
    var q = new URLSearchParams(config.query);
    Object.keys(params).forEach(function (k) { if (params[k] !== null && params[k] !== undefined) q.set(k, params[k]); });
    return q.toString();
  }

  function load(parent) {
    status.textContent = "";
    Promise.all([MapBase.features(config, parent), MapBase.api(config.ratesUrl + "?" + query({ parent: parent }))])
    .then(function (results) {
      var geo = results[0], byGrid = {};
      results[1].forEach(function (r) { byGrid[r.grid] = r; });
      if (!geo.features.length) { status.textContent = config.strings.drill; return; }
      if (layer) map.removeLayer(layer);
      layer = L.geoJSON(geo, {
        style: function (f) {
          var r = byGrid[f.properties.id];
          return { color: "#334155", weight: 1, fillOpacity: 0.7, fillColor: color(r && r.closure_rate !== null ? parseFloat(r.closure_rate) : null) };
        },
        onEachFeature: function (f, l) {
          var r = byGrid[f.properties.id];
          // The line's words and punctuation come translated ("结案率：62.50%（5/8）"); only numbers are put in.
          var rate = r && r.closure_rate !== null
            ? config.strings.rateLine.replace("{rate}", r.closure_rate).replace("{closed}", r.closed).replace("{counted}", r.assessed)
            : config.strings.closureRate + config.strings.colon + config.strings.noData;
          l.bindTooltip(MapBase.lines([f.properties.name, rate]));
          l.on("dblclick", function (e) {
            L.DomEvent.stop(e);
            if (f.properties.child_count > 0) { stack.push(parent); load(f.properties.id); }
          });
        }
      }).addTo(map);
      map.fitBounds(layer.getBounds(), { padding: [8, 8] });
      status.textContent = config.strings.drill;
    }).catch(function () { status.textContent = config.strings.failed; });
  }
  var up = L.control({ position: "topright" });
  up.onAdd = function () {
    var b = L.DomUtil.create("button", "btn btn-small map-up");
    b.type = "button";
    b.textContent = config.strings.up;
    L.DomEvent.on(b, "click", function (e) {
      L.DomEvent.stop(e);
      if (stack.length) load(stack.pop());
    });
    return b;
  };
  up.addTo(map);
  load(config.parent);
})();
