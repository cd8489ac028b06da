/* What every map page shares (grid map, case pages, intake, 随手拍, the assessment dashboard).
 *
 * Leaflet comes from django-leaflet's local static files; the page describes its map once
 * (grids/maps.py → json_script "map-config"): the view, the tile layers an administrator
 * configured (none: a plain background, the offline default), the grid levels and the
 * grids API. Load this after leaflet.js and before the page's own script.
 *
 * Names that people typed (grids, chiefs, cases) never go into an HTML string: panels,
 * tooltips and popups are built from text nodes (MapBase.h, MapBase.lines), so a grid
 * named "<img src=x onerror=…>" is shown as exactly that.
 */
(function () {
  "use strict";

  // The JSON a page put in <script type="application/json" id="…"> (json_script), or null.
  function json(id) {
    var element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  // An element from text only: h("a", {href: url, text: name}, child, "more text", …).
  // Attributes: "text" (its text), "onclick" (a handler), "style" (CSS text), true (present),
  // null/undefined/false (left out). Children: elements, or strings as text nodes.
  function h(tag, attrs) {
    var element = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) return;
      if (key === "text") element.textContent = value;
      else if (key === "onclick") element.addEventListener("click", value);
      else if (key === "style") element.style.cssText = value;
      else element.setAttribute(key, value === true ? "" : value);
    });
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child === null || child === undefined || child === false) continue;
      element.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return element;
  }

  // Lines of text one under the other, as an element: the content of a tooltip or a popup.
  function lines(texts) {
    var element = h("div", {});
    texts.forEach(function (text, index) {
      if (index) element.appendChild(document.createElement("br"));
      element.appendChild(document.createTextNode(text));
    });
    return element;
  }

  // The map in `element` (an element or its id): the page's view, zoom limits and tiles, and
  // the +/- buttons titled in the page's language (data-zoom-in / data-zoom-out on the element).
  function create(element, config, options) {
    if (typeof element === "string") element = document.getElementById(element);
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
    L.control
      .zoom({
        zoomInTitle: element.getAttribute("data-zoom-in") || "Zoom in",
        zoomOutTitle: element.getAttribute("data-zoom-out") || "Zoom out",
      })
      .addTo(map);
    if (map.attributionControl) map.attributionControl.setPrefix(false);
    config.tiles.forEach(function (tile) {
      L.tileLayer(tile.url, tile.options).addTo(map);
    });
    // Layers that any map page may carry (asset-layer.js) hear of each map made here.
    element.dispatchEvent(new CustomEvent("mapbase:created", { bubbles: true, detail: { map: map, config: config } }));
    return map;
  }

  // A GET of this server's JSON API. The API follows Accept-Language, not the page's language
  // cookie: ask in the page's language.
  function api(url) {
    var headers = { Accept: "application/json", "Accept-Language": document.documentElement.lang || "zh-Hans" };
    return fetch(url, { credentials: "same-origin", headers: headers }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    });
  }

  var seen = {}; // url → answer: outlines do not change while the page is open

  // The children of grid `parent` (none: the top of the tree) as GeoJSON, from the grids API.
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

  function detail(config, id) {
    return api(config.detailUrl.replace("{id}", encodeURIComponent(id)));
  }

  // The colour of a grid level (grids/maps.py LEVEL_COLORS).
  function levelColor(config, level) {
    for (var i = 0; i < config.levels.length; i++) {
      if (config.levels[i].value === level) return config.levels[i].color;
    }
    return "#475569";
  }

  // The pin of a point: a CSS marker (no image files to find), keyboard-neutral.
  function pin() {
    return L.divIcon({ className: "case-pin", html: h("span", {}), iconSize: [26, 26], iconAnchor: [13, 26] });
  }

  window.MapBase = {
    json: json,
    h: h,
    lines: lines,
    create: create,
    api: api,
    features: features,
    detail: detail,
    levelColor: levelColor,
    pin: pin,
  };
})();
