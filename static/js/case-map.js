/* Maps of the case pages, drawn like the grid map (grid-map.js): Leaflet from django-leaflet's
 * static files, the tile layers an administrator configured (none: a plain background), and
 * grid outlines from /api/grids/features/. Config comes from the page (json_script).
 *
 * window.CaseMap offers the pieces to the intake page; on a case page (#case-map) this
 * file shows the case's point inside its micro grid.
 */
(function () {
  "use strict";

  var MICRO = "#c2410c";
  var COMMUNITY = "#0f766e";
  var LARGE = "#2563eb";

  function api(url) {
    // The API follows Accept-Language, not the page's language cookie: ask in the page's language.
    var headers = { Accept: "application/json", "Accept-Language": document.documentElement.lang || "zh-Hans" };
    return fetch(url, { credentials: "same-origin", headers: headers }).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    });
  }

  // Leaflet's +/- buttons with their titles in the page's language (data-zoom-in/-out on the map).
  function zoomButtons(element) {
    return L.control.zoom({
      zoomInTitle: element.getAttribute("data-zoom-in") || "Zoom in",
      zoomOutTitle: element.getAttribute("data-zoom-out") || "Zoom out",
    });
  }

  function create(element, config, options) {
    var map = L.map(
      element,
      Object.assign(
        {
          center: config.center,
          zoom: config.zoom,
          minZoom: config.minZoom,
          maxZoom: config.maxZoom,
          zoomSnap: 0.25,
          attributionControl: config.tiles.length > 0,
          zoomControl: false,
        },
        options || {}
      )
    );
    zoomButtons(element).addTo(map);
    if (map.attributionControl) map.attributionControl.setPrefix(false);
    config.tiles.forEach(function (tile) {
      L.tileLayer(tile.url, tile.options).addTo(map);
    });
    return map;
  }

  var seen = {}; // url → answer: outlines do not change while the page is open

  function features(config, parent) {
    var url = parent ? config.featuresUrl + "?parent=" + encodeURIComponent(parent) : config.featuresUrl;
    if (!seen[url]) {
      seen[url] = api(url).catch(function (error) {
        delete seen[url];
        throw error;
      });
    }
    return seen[url];
  }

  // The pin: a CSS marker (no image files to find), keyboard-neutral.
  function pin() {
    return L.divIcon({ className: "case-pin", html: "<span></span>", iconSize: [26, 26], iconAnchor: [13, 26] });
  }

  // The micro grids of a community, the one holding the case stressed.
  function drawMicroGrids(config, layer, community, micro) {
    layer.clearLayers();
    if (!community) return Promise.resolve(null);
    return features(config, community).then(function (collection) {
      var selected = null;
      collection.features.forEach(function (feature) {
        var mine = String(feature.properties.id) === String(micro);
        var shape = L.geoJSON(feature, {
          interactive: false,
          style: {
            color: mine ? "#7c2d12" : MICRO,
            weight: mine ? 3 : 1,
            opacity: mine ? 1 : 0.6,
            fillColor: MICRO,
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
    return features(config, null)
      .then(function (collection) {
        var only = collection.features.length === 1 ? collection.features[0].properties : null;
        if (only && only.level === "district" && only.child_count > 0) return features(config, only.id);
        return collection;
      })
      .then(function (collection) {
        layer.clearLayers();
        collection.features.forEach(function (feature) {
          L.geoJSON(feature, {
            interactive: false,
            style: { color: LARGE, weight: 1.5, opacity: 0.7, fillColor: LARGE, fillOpacity: 0.04 },
          }).addTo(layer);
        });
        return collection;
      });
  }

  window.CaseMap = {
    api: api,
    create: create,
    pin: pin,
    drawMicroGrids: drawMicroGrids,
    drawOverview: drawOverview,
    colors: { micro: MICRO, community: COMMUNITY, large: LARGE },
  };

  // ---- a case page ----------------------------------------------------------

  var element = document.getElementById("case-map");
  if (!element) return;
  var config = JSON.parse(document.getElementById("map-config").textContent);
  var point = L.latLng(config.point[1], config.point[0]);
  var map = create(element, config, { center: point, zoom: 16, scrollWheelZoom: false, keyboard: false });
  var grids = L.featureGroup().addTo(map);
  L.marker(point, { icon: pin(), keyboard: false, interactive: false }).addTo(map);
  drawMicroGrids(config, grids, config.community, config.micro)
    .then(function (selected) {
      if (selected) map.fitBounds(selected.getBounds(), { padding: [16, 16], maxZoom: 17 });
    })
    .catch(function () {
      /* the point alone still says where */
    });
})();
