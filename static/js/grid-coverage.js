/* The admin's coverage page: the parents' outlines, the overlaps (red) and the gaps (yellow)
 * between sibling grids, from the page's "coverage-data" (grids.selectors.coverage_geojson).
 * Tooltips are text nodes (MapBase.lines): grid names are never HTML. */
(function () {
  "use strict";
  var config = MapBase.json("map-config");
  var data = MapBase.json("coverage-data");
  var strings = MapBase.json("coverage-strings");
  var element = document.getElementById("coverage-map");
  if (!config || !data || !element) return;
  var map = MapBase.create(element, config);
  var styles = {
    parent: { color: "#475569", weight: 2, dashArray: "6 4", fill: false },
    overlap: { color: "#dc2626", weight: 2, fillColor: "#dc2626", fillOpacity: 0.5 },
    gap: { color: "#ca8a04", weight: 2, fillColor: "#eab308", fillOpacity: 0.5 },
  };
  var layer = L.geoJSON(data, {
    style: function (feature) {
      return styles[feature.properties.kind] || styles.parent;
    },
    onEachFeature: function (feature, shape) {
      var p = feature.properties;
      var text;
      if (p.kind === "parent") text = [strings.parent + " " + p.code, p.name];
      else
        text = [
          (p.kind === "overlap" ? strings.overlap : strings.gap) + " · " + p.parent,
          p.grids.join(" × "),
          strings.area + " " + p.area_m2 + " " + strings.m2,
        ].filter(Boolean);
      shape.bindTooltip(MapBase.lines(text), { sticky: true });
    },
  }).addTo(map);
  // problems drawn above the outlines
  layer.eachLayer(function (shape) {
    if (shape.feature.properties.kind !== "parent") shape.bringToFront();
  });
  var bounds = layer.getBounds();
  if (bounds.isValid()) map.fitBounds(bounds, { maxZoom: 17 });
})();
