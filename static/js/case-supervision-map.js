/* The supervision map (/cases/map/) and the wall's map: the open cases from /api/cases/map/
 * (the queue's list for the same filters), clustered with Leaflet.markercluster (served locally),
 * each a dot coloured by its handling light, ringed when overdue, marked when supervised; a click
 * opens the case. On /cases/map/ the view's box goes with each request and the cases in view are
 * listed beside the map, in step with it.
 *
 * Every name and address is set as text (MapBase.h, MapBase.lines): never an HTML string.
 */
(function () {
  "use strict";

  var RANK = { red: 4, yellow: 3, green: 2, paused: 1, none: 0 };
  var LIST_MAX = 200;

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_all, key) {
      return values[key] === undefined ? "" : String(values[key]);
    });
  }

  function dotClass(props) {
    var classes = ["case-dot", "dot-" + props.light];
    if (props.overdue) classes.push("is-overdue");
    if (props.supervised) classes.push("is-supervised");
    if (props.urgent) classes.push("is-urgent");
    return classes.join(" ");
  }

  function marker(feature, strings) {
    var props = feature.properties;
    var coords = feature.geometry.coordinates;
    var icon = L.divIcon({
      className: dotClass(props),
      html: MapBase.h("span", { "data-case": String(props.id) }),
      iconSize: [20, 20],
      iconAnchor: [10, 10],
    });
    var item = L.marker([coords[1], coords[0]], { icon: icon, light: props.light, title: props.tracking_number });
    var texts = [props.tracking_number + " · " + props.status_label];
    if (props.category) texts.push(props.category);
    if (props.address) texts.push(props.address);
    var flags = [props.light_label];
    if (props.overdue && props.light !== "red") flags.push(strings.overdue);
    if (props.supervised) flags.push(strings.supervised);
    if (props.urgent) flags.push(strings.urgent);
    texts.push(flags.join(" · "));
    item.bindTooltip(MapBase.lines(texts), { direction: "top", offset: [0, -10] });
    item.on("click", function () {
      window.location.href = props.url;
    });
    item.caseId = props.id;
    return item;
  }

  function clusterIcon(cluster) {
    var worst = "none";
    cluster.getAllChildMarkers().forEach(function (child) {
      if (RANK[child.options.light] > RANK[worst]) worst = child.options.light;
    });
    return L.divIcon({
      className: "case-cluster dot-" + worst,
      html: MapBase.h("div", {}, String(cluster.getChildCount())),
      iconSize: [40, 40],
    });
  }

  function listItem(feature, strings) {
    var props = feature.properties;
    var title = MapBase.h("span", { class: "case-list-title" }, props.tracking_number);
    if (props.overdue) title.appendChild(MapBase.h("span", { class: "case-flag" }, strings.overdue));
    if (props.supervised) title.appendChild(MapBase.h("span", { class: "case-flag case-flag-supervised" }, strings.supervised));
    if (props.urgent) title.appendChild(MapBase.h("span", { class: "case-flag case-flag-urgent" }, strings.urgent));
    var sub = [props.status_label, props.category, props.address].filter(Boolean).join(" · ");
    return MapBase.h(
      "li",
      { "data-case": String(props.id) },
      MapBase.h(
        "a",
        { href: props.url, title: strings.open },
        MapBase.h("span", { class: "light-dot legend-dot dot-" + props.light, "aria-hidden": "true" }),
        title,
        MapBase.h("span", { class: "case-list-sub" }, sub)
      )
    );
  }

  // The cases of `config.feedUrl` on `map`; options: list (an <ul>), count, status (elements),
  // byView (send the view's box and reload when it moves), onLoad(answer).
  function attach(map, config, strings, options) {
    options = options || {};
    var clusters = L.markerClusterGroup({
      iconCreateFunction: clusterIcon,
      showCoverageOnHover: false,
      maxClusterRadius: 45,
      chunkedLoading: true,
      spiderfyOnMaxZoom: true,
    }).addTo(map);
    var asked = 0;
    var timer = null;
    var first = true; // the first answer has every case (up to the cap): the map fits them, then asks by view

    function url() {
      var query = new URLSearchParams();
      var params = config.feedParams || {};
      Object.keys(params).forEach(function (key) { query.set(key, params[key]); });
      if (options.byView && !first) {
        var box = map.getBounds().pad(0.05);
        query.set("bbox", [box.getWest(), box.getSouth(), box.getEast(), box.getNorth()].map(function (n) {
          return n.toFixed(6);
        }).join(","));
      }
      var text = query.toString();
      return config.feedUrl + (text ? "?" + text : "");
    }

    function say(text) {
      if (options.status) options.status.textContent = text;
    }

    function show(answer) {
      clusters.clearLayers();
      clusters.addLayers(answer.features.map(function (feature) { return marker(feature, strings); }));
      if (answer.truncated) {
        say(format(strings.truncated, { shown: answer.shown, total: answer.total.text }));
      } else {
        say(answer.features.length ? format(strings.shown, { n: answer.features.length }) : strings.none);
      }
      if (options.list) {
        var list = options.list;
        while (list.firstChild) list.removeChild(list.firstChild);
        answer.features.slice(0, LIST_MAX).forEach(function (feature) {
          list.appendChild(listItem(feature, strings));
        });
        if (answer.features.length > LIST_MAX) {
          list.appendChild(MapBase.h("li", { class: "muted case-list-more" },
            format(strings.more, { n: answer.features.length - LIST_MAX })));
        }
      }
      if (options.count) options.count.textContent = answer.truncated ? answer.total.text : String(answer.features.length);
      if (options.onLoad) options.onLoad(answer);
    }

    function load() {
      var mine = ++asked;
      say(strings.loading);
      map.getContainer().setAttribute("aria-busy", "true");
      return MapBase.api(url())
        .then(function (answer) {
          if (mine !== asked) return;
          var fit = first && answer.features.length;
          first = false;
          show(answer);
          if (fit) map.fitBounds(clusters.getBounds(), { padding: [24, 24], maxZoom: 16 });
        })
        .catch(function () {
          if (mine === asked) say(strings.failed);
        })
        .then(function () {
          if (mine === asked) map.getContainer().removeAttribute("aria-busy");
        });
    }

    if (options.byView) {
      map.on("moveend", function () {
        window.clearTimeout(timer);
        timer = window.setTimeout(load, 250);
      });
    }
    load();
    return { reload: load, clusters: clusters };
  }

  window.SupervisionMap = { attach: attach };

  // ---- the page /cases/map/ -----------------------------------------------------------

  var element = document.getElementById("supervision-map");
  if (!element) return;
  var config = MapBase.json("map-config");
  var strings = MapBase.json("map-strings");
  var map = MapBase.create(element, config);
  if (window.CaseMap) CaseMap.drawOverview(config, L.featureGroup().addTo(map)).catch(function () {});
  attach(map, config, strings, {
    byView: true,
    list: document.getElementById("case-list"),
    count: document.getElementById("case-list-count"),
    status: document.getElementById("map-status"),
  });
})();
