/* The intake page's address search and reverse lookup (the gazetteer, /api/gazetteer/…).
 *
 * Typing in #address-search lists the addresses and places found (汉字, pinyin, initials, or a
 * street with a door number), each also a dot on the map; picking one (its button, or its dot)
 * puts the case's point there (case-intake.js: the grid and the responsible chief are looked
 * up) and fills the address. A click on the map fills the address of the clicked point, unless
 * the clerk typed one of their own. Everything shown is built from text nodes (MapBase.h).
 */
(function () {
  "use strict";

  var config = MapBase.json("map-config");
  var t = MapBase.json("map-strings");
  var h = MapBase.h;
  var input = document.getElementById("address-search");
  var list = document.getElementById("address-results");
  var address = document.getElementById("id_address");
  if (!config || !input || !list || !config.gazetteerSearchUrl) return;

  var filled = address ? address.value : ""; // what we put in the address field (not the clerk's own)
  var ticket = 0;
  var reverseTicket = 0;
  var timer = null;
  var dots = null;

  function intake() {
    return window.CaseIntake || null;
  }

  function fill(text) {
    if (!address) return;
    // Leave an address the clerk typed alone; replace one we filled.
    if (address.value && address.value !== filled) return;
    address.value = text;
    filled = text;
  }

  function clearResults() {
    list.textContent = "";
    if (dots) dots.clearLayers();
  }

  function pick(item) {
    var api = intake();
    if (!api) return;
    var latlng = L.latLng(item.lat, item.lon);
    api.setPoint(latlng, { fromSearch: true });
    api.map.setView(latlng, Math.max(api.map.getZoom(), 17));
    if (address) {
      address.value = item.address;
      filled = item.address;
    }
    clearResults();
    list.appendChild(h("li", { class: "muted small address-picked", text: t.addressFilled.replace("%(address)s", item.address) }));
    input.value = "";
  }

  function show(items) {
    clearResults();
    var api = intake();
    if (api && !dots) dots = L.featureGroup().addTo(api.map);
    if (!items.length) {
      list.appendChild(h("li", { class: "muted small", text: t.noAddress }));
      return;
    }
    items.forEach(function (item) {
      var button = h(
        "button",
        { type: "button", class: "address-result", "data-code": item.code, onclick: function () { pick(item); } },
        h("strong", { text: item.name }),
        item.address && item.address !== item.name ? h("span", { class: "muted", text: " " + item.address }) : null,
        " ",
        h("span", { class: "badge", text: item.kind_label })
      );
      list.appendChild(h("li", {}, button));
      if (dots) {
        var dot = L.circleMarker([item.lat, item.lon], { radius: 7, color: "#7c3aed", weight: 2, fillOpacity: 0.6 });
        dot.bindTooltip(MapBase.lines([item.name, item.address !== item.name ? item.address : "", t.pick].filter(Boolean)));
        dot.on("click", function (event) {
          L.DomEvent.stop(event);
          pick(item);
        });
        dots.addLayer(dot);
      }
    });
    if (dots && dots.getLayers().length && api) api.map.fitBounds(dots.getBounds(), { padding: [30, 30], maxZoom: 17 });
  }

  function search() {
    var text = input.value.trim();
    var mine = ++ticket;
    if (!text) {
      clearResults();
      return;
    }
    list.textContent = "";
    list.appendChild(h("li", { class: "muted small", text: t.searching }));
    MapBase.api(config.gazetteerSearchUrl + "?q=" + encodeURIComponent(text))
      .then(function (items) {
        if (mine === ticket) show(items);
      })
      .catch(function () {
        if (mine !== ticket) return;
        clearResults();
        list.appendChild(h("li", { class: "field-error", text: t.searchFailed }));
      });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 250);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      // Enter picks the first answer instead of sending the form.
      event.preventDefault();
      var first = list.querySelector("button.address-result");
      if (first) first.click();
      else search();
    }
  });

  // A point set on the map (a click, Enter, GPS): the address there, if the gazetteer knows one.
  document.addEventListener("intake:point", function (event) {
    if (!config.gazetteerReverseUrl || event.detail.fromSearch) return;
    var mine = ++reverseTicket;
    var url = config.gazetteerReverseUrl + "?lon=" + encodeURIComponent(event.detail.lon) + "&lat=" + encodeURIComponent(event.detail.lat);
    MapBase.api(url)
      .then(function (answer) {
        if (mine === reverseTicket && answer.found) fill(answer.result.address);
      })
      .catch(function () {
        /* the clerk types the address */
      });
  });
})();
