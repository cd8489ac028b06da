/* The grid map: the hierarchy district → large → community → micro on a Leaflet map.
 *
 * Everything it needs comes from the page: the map config and the translated UI
 * strings (json_script), the features and details from /api/grids/. No network
 * access beyond this server, except the tile layers an administrator configured.
 * The shared set-up (the map, tiles, the API, text-only DOM) is map-base.js.
 */
(function () {
  "use strict";

  var config = MapBase.json("map-config");
  var t = MapBase.json("map-strings");
  var h = MapBase.h;
  var lang = document.documentElement.lang || undefined;
  var LEVELS = {};
  config.levels.forEach(function (level, index) {
    LEVELS[level.value] = { label: level.label, color: level.color, depth: index };
  });
  var BOTTOM = config.levels[config.levels.length - 1].value;

  var detailBox = document.getElementById("grid-detail");
  var listBox = document.getElementById("grid-list");
  var listCount = document.getElementById("grid-list-count");
  var breadcrumb = document.querySelector("#map-breadcrumb ol");
  var statusBox = document.getElementById("map-status");

  var map = MapBase.create("grid-map", config, { doubleClickZoom: false }); // double-click drills down instead

  var outlineLayer = L.layerGroup().addTo(map); // the grid we are inside, for context
  var gridLayer = L.featureGroup().addTo(map);
  var labelLayer = L.layerGroup().addTo(map);

  var state = { parent: null, selected: null, features: [] };
  var layers = {}; // id → polygon layer of the grids on the map
  var labels = {}; // id → label marker
  var known = {}; // id → feature seen before, to outline a parent after drilling into it
  var ticket = 0; // ignores answers to requests that a newer click made stale

  // ---- helpers ------------------------------------------------------------

  function pageUrl(parent, grid) {
    var params = new URLSearchParams();
    if (parent) params.set("parent", parent);
    if (grid) params.set("grid", grid);
    var query = params.toString();
    return window.location.pathname + (query ? "?" + query : "");
  }

  function km2(areaM2) {
    var value = areaM2 / 1e6;
    var digits = value < 1 ? 3 : 2;
    return value.toLocaleString(lang, { minimumFractionDigits: digits, maximumFractionDigits: digits }) + " " + t.km2;
  }

  function levelBadge(level, label) {
    var color = (LEVELS[level] || {}).color || "#475569";
    return h("span", { class: "level-badge", style: "--level: " + color }, label || (LEVELS[level] || {}).label || level);
  }

  function setStatus(text, isError) {
    statusBox.textContent = text || "";
    statusBox.classList.toggle("is-error", Boolean(isError));
    statusBox.hidden = !text;
  }

  // Neighbours usually have consecutive codes: alternating tones tell them apart.
  var TONES = [0.14, 0.26, 0.2, 0.32];

  function style(feature, selected) {
    var color = (LEVELS[feature.properties.level] || {}).color || "#475569";
    return {
      color: selected ? "#0b1f3a" : color,
      weight: selected ? 3.5 : 1.5,
      opacity: 1,
      fillColor: color,
      fillOpacity: selected ? 0.5 : TONES[(feature.tone || 0) % TONES.length],
    };
  }

  // "郑山社区第01网格" inside "郑山社区" reads "第01网格" on the map; the list and tooltip keep the full name.
  function shortName(name) {
    var parentName = state.parentDetail && state.parentDetail.name;
    if (parentName && name.length > parentName.length + 1 && name.indexOf(parentName) === 0) {
      return name.slice(parentName.length);
    }
    return name;
  }

  // ---- drawing ------------------------------------------------------------

  function draw(collection) {
    gridLayer.clearLayers();
    labelLayer.clearLayers();
    outlineLayer.clearLayers();
    layers = {};
    labels = {};
    state.features = collection.features;

    var outline = state.parent && known[state.parent];
    if (outline) {
      L.geoJSON(outline, {
        interactive: false,
        style: { color: "#0b1f3a", weight: 2, dashArray: "6 4", fill: false, opacity: 0.7 },
      }).addTo(outlineLayer);
    }

    collection.features.forEach(function (feature, index) {
      var p = feature.properties;
      feature.tone = index;
      known[p.id] = feature;
      var layer = L.geoJSON(feature, { style: style(feature, false) });
      layer.feature = feature;
      var tip = [p.name, p.code].concat(p.chief ? [p.chief] : []).join(" · ");
      layer.bindTooltip(MapBase.lines([tip]), { sticky: true, direction: "top" });
      layer.on("click", function (event) {
        L.DomEvent.stopPropagation(event);
        select(p.id);
      });
      layer.on("dblclick", function (event) {
        L.DomEvent.stopPropagation(event);
        if (p.child_count > 0) navigate(p.id, null);
        else select(p.id);
      });
      layer.on("mouseover", function () {
        if (state.selected !== p.id) layer.setStyle({ fillOpacity: 0.42 });
      });
      layer.on("mouseout", function () {
        if (state.selected !== p.id) layer.setStyle(style(feature, false));
      });
      layer.addTo(gridLayer);
      layers[p.id] = layer;

      var label = L.marker([p.label_point[1], p.label_point[0]], {
        interactive: false,
        keyboard: false,
        icon: L.divIcon({
          className: "grid-label grid-label-" + p.level,
          html: "",
          iconSize: null,
        }),
      });
      label.addTo(labelLayer);
      var el = label.getElement();
      if (el) el.appendChild(h("span", {}, shortName(p.name)));
      labels[p.id] = label;
    });

    if (collection.features.length) {
      map.fitBounds(gridLayer.getBounds(), { padding: [24, 24] });
    }
    placeLabels();
  }

  // Labels only where their grid is big enough and they do not cover another label,
  // so small grids stay readable when zoomed out. The selected grid's label wins.
  function placeLabels() {
    var placed = [];
    var order = state.features.slice().sort(function (a, b) {
      var sa = a.properties.id === state.selected ? 1 : 0;
      var sb = b.properties.id === state.selected ? 1 : 0;
      return sb - sa || b.properties.area_m2 - a.properties.area_m2;
    });
    order.forEach(function (feature) {
      var id = feature.properties.id;
      var label = labels[id];
      var el = label && label.getElement();
      if (!el) return;
      el.classList.remove("is-hidden");
      var text = el.firstChild.getBoundingClientRect();
      var bounds = layers[id].getBounds();
      var nw = map.latLngToContainerPoint(bounds.getNorthWest());
      var se = map.latLngToContainerPoint(bounds.getSouthEast());
      // A label may stick out of a narrow grid a little, but not out of a tiny one.
      var fits = se.x - nw.x > Math.min(text.width + 6, 48) && se.y - nw.y > text.height + 4;
      var clear = placed.every(function (other) {
        return text.right < other.left || text.left > other.right || text.bottom < other.top || text.top > other.bottom;
      });
      if ((fits && clear) || id === state.selected) placed.push(text);
      else el.classList.add("is-hidden");
    });
  }
  map.on("zoomend", placeLabels);

  function highlight(id) {
    Object.keys(layers).forEach(function (key) {
      var layer = layers[key];
      var selected = String(key) === String(id);
      layer.setStyle(style(layer.feature, selected));
      if (selected) layer.bringToFront();
      var label = labels[key] && labels[key].getElement();
      if (label) label.classList.toggle("is-selected", selected);
    });
    Array.prototype.forEach.call(listBox.querySelectorAll("[data-grid]"), function (button) {
      button.setAttribute("aria-pressed", button.getAttribute("data-grid") === String(id) ? "true" : "false");
    });
    placeLabels();
  }

  // ---- side panel ---------------------------------------------------------

  function renderBreadcrumb(parentDetail) {
    breadcrumb.textContent = "";
    var trail = [{ id: null, name: t.allGrids }];
    if (parentDetail) {
      parentDetail.ancestors.forEach(function (grid) {
        trail.push(grid);
      });
      trail.push(parentDetail);
    }
    trail.forEach(function (grid, index) {
      var last = index === trail.length - 1;
      var item = last
        ? h("span", { "aria-current": "location" }, grid.name)
        : h("a", {
            href: pageUrl(grid.id, null),
            onclick: function (event) {
              event.preventDefault();
              navigate(grid.id, null);
            },
            text: grid.name,
          });
      breadcrumb.appendChild(h("li", {}, grid.level ? levelBadge(grid.level, grid.level_label) : null, item));
    });
  }

  function renderList(features) {
    listBox.textContent = "";
    listCount.textContent = features.length ? "(" + features.length + ")" : "";
    features.forEach(function (feature) {
      var p = feature.properties;
      var drill =
        p.child_count > 0
          ? h(
              "a",
              {
                class: "grid-list-drill",
                href: pageUrl(p.id, null),
                title: t.drillDown,
                onclick: function (event) {
                  event.preventDefault();
                  navigate(p.id, null);
                },
              },
              h("span", { class: "visually-hidden" }, t.drillDown + ": " + p.name + " "),
              p.child_count + " ›"
            )
          : null;
      listBox.appendChild(
        h(
          "li",
          {},
          h(
            "button",
            {
              type: "button",
              class: "grid-list-item",
              "data-grid": String(p.id),
              "aria-pressed": "false",
              onclick: function () {
                select(p.id);
              },
            },
            h("span", { class: "swatch", style: "--swatch: " + ((LEVELS[p.level] || {}).color || "#475569") }),
            h("span", { class: "grid-list-name" }, p.name),
            h("span", { class: "grid-list-code" }, p.code)
          ),
          drill
        )
      );
    });
  }

  function gridLink(grid, parent, select) {
    return h("a", {
      href: pageUrl(parent, select),
      onclick: function (event) {
        event.preventDefault();
        navigate(parent, select);
      },
      text: grid.name,
    });
  }

  function renderDetail(grid, isCurrentArea) {
    detailBox.textContent = "";
    var grandparent = grid.ancestors.length > 1 ? grid.ancestors[grid.ancestors.length - 2].id : null;
    var chief = grid.chief
      ? h(
          "dd",
          {},
          grid.chief.name,
          grid.chief.phone ? h("a", { class: "phone", href: "tel:" + grid.chief.phone }, grid.chief.phone) : null
        )
      : h("dd", { class: "muted" }, t.noChief);
    var parent = grid.parent
      ? h(
          "dd",
          {},
          gridLink(grid.parent, grandparent, grid.parent.id),
          " ",
          h("span", { class: "grid-code" }, grid.parent.code),
          " ",
          h(
            "a",
            {
              class: "btn btn-small",
              href: pageUrl(grandparent, grid.parent.id),
              onclick: function (event) {
                event.preventDefault();
                navigate(grandparent, grid.parent.id);
              },
            },
            "↑ " + t.goUp
          )
        )
      : h("dd", { class: "muted" }, t.none);

    var drillButton;
    if (grid.level === BOTTOM) {
      drillButton = h("p", { class: "muted small" }, t.bottomLevel);
    } else if (isCurrentArea) {
      drillButton = null; // its children are what the map shows
    } else {
      drillButton = h(
        "button",
        {
          type: "button",
          class: "btn btn-primary",
          disabled: grid.children.length === 0,
          onclick: function () {
            navigate(grid.id, null);
          },
        },
        t.drillDown + (grid.children.length ? " (" + grid.children.length + ")" : "")
      );
    }

    var children = grid.children.length
      ? h.apply(
          null,
          ["ul", { class: "child-list" }].concat(
            grid.children.map(function (child) {
              return h(
                "li",
                {},
                levelBadge(child.level, child.level_label),
                gridLink(child, grid.id, child.id),
                h("span", { class: "grid-code" }, child.code)
              );
            })
          )
        )
      : h("p", { class: "muted small" }, t.noChildren);

    detailBox.appendChild(
      h(
        "div",
        { class: "detail-head" },
        levelBadge(grid.level, grid.level_label),
        h("h2", { id: "grid-detail-title" }, grid.name),
        state.selected === grid.id
          ? h(
              "button",
              {
                type: "button",
                class: "btn-close",
                "aria-label": t.close,
                title: t.close,
                onclick: function () {
                  clearSelection();
                },
              },
              "×"
            )
          : null
      )
    );
    detailBox.appendChild(
      h(
        "dl",
        { class: "facts" },
        h("dt", {}, t.code),
        h("dd", { class: "grid-code" }, grid.code),
        h("dt", {}, t.level),
        h("dd", {}, grid.level_label),
        h("dt", {}, t.chief),
        chief,
        h("dt", {}, t.parent),
        parent,
        h("dt", {}, t.area),
        h("dd", {}, km2(grid.area_m2))
      )
    );
    if (drillButton) detailBox.appendChild(h("div", { class: "detail-actions" }, drillButton));
    // For the area being shown, its children are the list under the details already.
    if (grid.level !== BOTTOM && (!isCurrentArea || !grid.children.length)) {
      detailBox.appendChild(h("h3", {}, t.children + (grid.children.length ? " (" + grid.children.length + ")" : "")));
      detailBox.appendChild(children);
    }
  }

  function renderHint() {
    detailBox.textContent = "";
    detailBox.appendChild(h("p", { class: "muted", id: "map-hint" }, t.selectHint));
  }

  // ---- actions ------------------------------------------------------------

  function select(id) {
    state.selected = id;
    highlight(id);
    updateUrl();
    var mine = ++ticket;
    return MapBase.detail(config, id)
      .then(function (grid) {
        if (mine !== ticket) return;
        renderDetail(grid, false);
        setStatus("");
      })
      .catch(function () {
        if (mine === ticket) setStatus(t.loadFailed, true);
      });
  }

  function clearSelection() {
    state.selected = null;
    highlight(null);
    updateUrl();
    if (state.parentDetail) renderDetail(state.parentDetail, true);
    else renderHint();
  }

  function updateUrl() {
    window.history.replaceState(null, "", pageUrl(state.parent, state.selected));
  }

  function navigate(parent, selected) {
    var mine = ++ticket;
    setStatus(t.loading);
    return Promise.all([MapBase.features(config, parent), parent ? MapBase.detail(config, parent) : Promise.resolve(null)])
      .then(function (answers) {
        if (mine !== ticket) return;
        var collection = answers[0];
        state.parent = parent;
        state.parentDetail = answers[1];
        state.selected = null;
        draw(collection);
        renderBreadcrumb(state.parentDetail);
        renderList(collection.features);
        if (!collection.features.length) setStatus(parent ? t.noChildren : t.empty);
        else setStatus("");
        if (selected && layers[selected]) {
          select(selected);
        } else {
          updateUrl();
          if (state.parentDetail) renderDetail(state.parentDetail, true);
          else renderHint();
        }
      })
      .catch(function () {
        if (mine === ticket) setStatus(t.loadFailed, true);
      });
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && state.selected) clearSelection();
  });

  var params = new URLSearchParams(window.location.search);
  var startParent = params.has("parent") ? Number(params.get("parent")) || null : config.startParent;
  var startGrid = Number(params.get("grid")) || null;
  navigate(startParent, startGrid);
})();
