/* Maps of the case pages, drawn like the grid map: the shared set-up is map-base.js (the map,
 * the tile layers an administrator configured, the grids API), the grid outlines come from
 * /api/grids/features/. Config comes from the page (json_script).
 *
 * window.CaseMap offers the outlines to the intake page; on a case page (#case-map) this
 * file shows the case's point inside its micro grid.
 */
(function () {
  "use strict";

  // The micro grids of a community, the one holding the case stressed.
  function drawMicroGrids(config, layer, community, micro) {
    layer.clearLayers();
    if (!community) return Promise.resolve(null);
    var color = MapBase.levelColor(config, "micro");
    return MapBase.features(config, community).then(function (collection) {
      var selected = null;
      collection.features.forEach(function (feature) {
        var mine = String(feature.properties.id) === String(micro);
        var shape = L.geoJSON(feature, {
          interactive: false,
          style: {
            color: mine ? "#7c2d12" : color,
            weight: mine ? 3 : 1,
            opacity: mine ? 1 : 0.6,
            fillColor: color,
            fillOpacity: mine ? 0.18 : 0.04,
          },
        });
        shape.addTo(layer);
        if (mine) selected = shape;
      });
      if (selected) selected.bringToFront();
      return selected;
    });
  }

  // The top of the tree (or, under a single district, its large grids) as faint outlines.
  function drawOverview(config, layer) {
    var color = MapBase.levelColor(config, "large");
    return MapBase.features(config, null)
      .then(function (collection) {
        var only = collection.features.length === 1 ? collection.features[0].properties : null;
        if (only && only.level === "district" && only.child_count > 0) return MapBase.features(config, only.id);
        return collection;
      })
      .then(function (collection) {
        layer.clearLayers();
        collection.features.forEach(function (feature) {
          L.geoJSON(feature, {
            interactive: false,
            style: { color: color, weight: 1.5, opacity: 0.7, fillColor: color, fillOpacity: 0.04 },
          }).addTo(layer);
        });
        return collection;
      });
  }

  window.CaseMap = { drawMicroGrids: drawMicroGrids, drawOverview: drawOverview };

  // ---- a case page ----------------------------------------------------------

  var element = document.getElementById("case-map");
  if (!element) return;
  var config = MapBase.json("map-config");
  var point = L.latLng(config.point[1], config.point[0]);
  var map = MapBase.create(element, config, { center: point, zoom: 16, scrollWheelZoom: false, keyboard: false });
  var grids = L.featureGroup().addTo(map);
  L.marker(point, { icon: MapBase.pin(), keyboard: false, interactive: false }).addTo(map);
  drawMicroGrids(config, grids, config.community, config.micro)
    .then(function (selected) {
      if (selected) map.fitBounds(selected.getBounds(), { padding: [16, 16], maxZoom: 17 });
    })
    .catch(function () {
      /* the point alone still says where */
    });
})();
