/* The places with chiefs (三长: streets, shops, lanes) as map layers, one checkbox per kind on
 * the map: the places in the map's view, from /api/grids/places/, once the map is zoomed in far
 * enough, each with a tooltip built from text nodes (MapBase.lines): never HTML.
 *
 * A page whose map config has placesUrl and placeLayer: "overlay" (the grid map) gets the
 * checkboxes, all off; map-base.js announces each map it makes ("mapbase:created"). Load after
 * map-base.js.
 */
(function () {
  "use strict";

  var h = MapBase.h;
  var MIN_ZOOM = 15;
  var COLORS = { shop: "#9333ea", lane: "#0891b2", street: "#ca8a04" };

  function attach(map, config) {
    var t = config.placeStrings || {};
    var kinds = config.placeKinds || [];
    var layer = L.featureGroup().addTo(map);
    var chosen = {};
    var ticket = 0;
    var status = h("span", { class: "place-toggle-status muted small" });

    function draw(feature) {
      var p = feature.properties;
      var color = COLORS[p.kind] || "#334155";
      var shape;
      if (feature.geometry.type === "Point") {
        var at = L.latLng(feature.geometry.coordinates[1], feature.geometry.coordinates[0]);
        shape = L.circleMarker(at, { radius: 6, color: color, weight: 3, fillColor: "#ffffff", fillOpacity: 1,
                                     className: "place-marker place-" + p.kind });
      } else {
        shape = L.geoJSON(feature, { style: { color: color, weight: 4, opacity: 0.85, fillOpacity: 0.15,
                                              className: "place-shape place-" + p.kind } });
      }
      var lines = [p.kind_label + " " + p.name, p.code + " · " + p.grid];
      lines.push(p.chief ? t.chief + " " + p.chief : t.noChief);
      shape.bindTooltip(MapBase.lines(lines), { direction: "top", sticky: feature.geometry.type !== "Point" });
      layer.addLayer(shape);
    }

    function refresh() {
      var mine = ++ticket;
      var wanted = kinds.filter(function (k) { return chosen[k.value]; }).map(function (k) { return k.value; });
      if (!wanted.length) {
        layer.clearLayers();
        status.textContent = "";
        return;
      }
      if (map.getZoom() < MIN_ZOOM) {
        layer.clearLayers();
        status.textContent = t.zoomIn || "";
        return;
      }
      var b = map.getBounds().pad(0.15);
      var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (n) { return n.toFixed(6); });
      MapBase.api(config.placesUrl + "?bbox=" + bbox.join(",") + "&kind=" + wanted.join(","))
        .then(function (collection) {
          if (mine !== ticket) return;
          layer.clearLayers();
          collection.features.forEach(draw);
          status.textContent = collection.truncated ? t.truncated || "" : "";
        })
        .catch(function () {
          if (mine === ticket) status.textContent = t.failed || "";
        });
    }

    var Toggle = L.Control.extend({
      options: { position: "topright" },
      onAdd: function () {
        var box = h("div", { class: "place-toggle leaflet-bar" }, h("strong", {}, t.layer || ""));
        kinds.forEach(function (kind) {
          var input = h("input", { type: "checkbox", id: map.getContainer().id + "-places-" + kind.value,
                                   "data-kind": kind.value });
          input.addEventListener("change", function () {
            chosen[kind.value] = input.checked;
            refresh();
          });
          var swatch = h("span", { class: "swatch place-swatch-" + kind.value });
          box.appendChild(h("label", {}, input, " ", swatch, kind.label));
        });
        box.appendChild(status);
        L.DomEvent.disableClickPropagation(box);
        return box;
      },
    });
    map.addControl(new Toggle());
    map.on("moveend", refresh);
  }

  document.addEventListener("mapbase:created", function (event) {
    var config = event.detail.config;
    if (config.placesUrl && config.placeLayer === "overlay") attach(event.detail.map, config);
  });

  window.PlaceLayer = { attach: attach, MIN_ZOOM: MIN_ZOOM };
})();
