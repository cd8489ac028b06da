/* The component inventory (部件) as a map layer: the assets in the map's view, drawn from
 * /api/assets/features/ once the map is zoomed in far enough to tell them apart, coloured by
 * status, each with a tooltip built from text nodes (MapBase.lines).
 *
 * AssetLayer.attach(map, config, options) puts the layer on a map: config.assetsUrl (the
 * features API) and config.assetStrings (the words); options.onPick(properties, geometryType,
 * latlng) makes a click pick the asset (the intake page), else a click opens the asset's page.
 * A page whose map config says assetLayer: "overlay" (the grid map) gets the layer switched off,
 * with a checkbox on the map to show it: map-base.js announces each map it makes
 * ("mapbase:created"), so that page's own script needs no change. Load after map-base.js.
 */
(function () {
  "use strict";

  var h = MapBase.h;
  var MIN_ZOOM = 16; // below this a county's thousands of assets would only be a smear
  var STATUS_COLORS = { in_service: "#1d4ed8", damaged: "#c2410c", missing: "#b91c1c", retired: "#64748b" };

  function maintainerName(properties) {
    var m = properties.maintainer;
    return m && typeof m === "object" ? m.name : m || "";
  }

  function tooltip(properties, t) {
    var lines = [properties.category.name + " " + properties.code];
    if (properties.name) lines.push(properties.name);
    var status = properties.status_label;
    var maintainer = maintainerName(properties);
    lines.push(maintainer ? status + " · " + t.maintainer + " " + maintainer : status);
    return MapBase.lines(lines);
  }

  function attach(map, config, options) {
    options = options || {};
    var t = config.assetStrings || {};
    var layer = L.featureGroup();
    var shown = options.shown !== false;
    var ticket = 0;
    if (shown) layer.addTo(map);

    function draw(feature) {
      var p = feature.properties;
      var color = STATUS_COLORS[p.status] || "#1d4ed8";
      var shape;
      if (feature.geometry.type === "Point") {
        var at = L.latLng(feature.geometry.coordinates[1], feature.geometry.coordinates[0]);
        shape = L.circleMarker(at, {
          radius: 7,
          color: color,
          weight: 3,
          fillColor: "#ffffff",
          fillOpacity: 1,
          className: "asset-marker asset-" + p.status,
        });
      } else {
        shape = L.geoJSON(feature, { style: { color: color, weight: 5, opacity: 0.85, className: "asset-line" } });
      }
      shape.bindTooltip(tooltip(p, t), { direction: "top", sticky: feature.geometry.type !== "Point" });
      shape.on("click", function (event) {
        L.DomEvent.stopPropagation(event); // not a click on the map (which would set a point)
        if (options.onPick) options.onPick(p, feature.geometry.type, event.latlng);
        else window.location.assign(p.url);
      });
      layer.addLayer(shape);
    }

    function refresh() {
      var mine = ++ticket;
      if (!shown) return;
      if (map.getZoom() < MIN_ZOOM) {
        layer.clearLayers();
        if (options.onStatus) options.onStatus(t.zoomIn || "");
        return;
      }
      var b = map.getBounds().pad(0.15);
      var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (n) {
        return n.toFixed(6);
      });
      MapBase.api(config.assetsUrl + "?bbox=" + bbox.join(","))
        .then(function (collection) {
          if (mine !== ticket) return;
          layer.clearLayers();
          collection.features.forEach(draw);
          if (options.onStatus) options.onStatus(collection.truncated ? t.truncated || "" : "");
        })
        .catch(function () {
          if (mine === ticket && options.onStatus) options.onStatus(t.failed || "");
        });
    }

    map.on("moveend", refresh);
    refresh();
    return {
      layer: layer,
      refresh: refresh,
      show: function (on) {
        shown = on;
        if (on) {
          layer.addTo(map);
          refresh();
        } else {
          ticket++;
          layer.clearLayers();
          map.removeLayer(layer);
        }
      },
    };
  }

  // A checkbox on the map that shows or hides the layer (built from text nodes, unlike
  // L.control.layers, whose labels are HTML).
  function overlay(map, config) {
    var t = config.assetStrings || {};
    var handle = attach(map, config, { shown: false });
    var Toggle = L.Control.extend({
      options: { position: "topright" },
      onAdd: function () {
        var box = h("input", { type: "checkbox", id: map.getContainer().id + "-assets" });
        var status = h("span", { class: "asset-toggle-status muted small" });
        var label = h("label", { class: "asset-toggle leaflet-bar" }, box, " ", t.layer || "Assets", " ", status);
        L.DomEvent.disableClickPropagation(label);
        box.addEventListener("change", function () {
          handle.show(box.checked);
          if (!box.checked) status.textContent = "";
        });
        handle.status = status;
        return label;
      },
    });
    map.addControl(new Toggle());
    map.on("moveend", function () {
      if (handle.status && map.getZoom() < MIN_ZOOM) handle.status.textContent = t.zoomIn || "";
      else if (handle.status) handle.status.textContent = "";
    });
  }

  document.addEventListener("mapbase:created", function (event) {
    var config = event.detail.config;
    if (config.assetsUrl && config.assetLayer === "overlay") overlay(event.detail.map, config);
  });

  window.AssetLayer = { attach: attach, MIN_ZOOM: MIN_ZOOM, maintainerName: maintainerName };
})();
