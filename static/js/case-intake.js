/* The intake page: set the case's point on the map (click, or Enter for the map's centre)
 * or type it; as soon as it is set, /api/grids/locate/ names the micro grid, its community
 * and large grid and who is responsible there, and the map shows the micro grid.
 *
 * Zoomed in, the map shows the component inventory (asset-layer.js): clicking an asset picks
 * it (the hidden `asset` field), puts the point on it, fills its subcategory and names its
 * maintaining unit, which the case goes to. A click elsewhere on the map lets the asset go.
 */
(function () {
  "use strict";

  var config = MapBase.json("map-config");
  var t = MapBase.json("map-strings");
  var h = MapBase.h;
  var lonInput = document.getElementById("id_lon");
  var latInput = document.getElementById("id_lat");
  var panel = document.getElementById("located");
  var element = document.getElementById("intake-map");

  var map = MapBase.create(element, config);
  var overview = L.featureGroup().addTo(map);
  var grids = L.featureGroup().addTo(map);
  var marker = null;
  var ticket = 0; // answers to an older point are ignored

  function show() {
    panel.textContent = "";
    for (var i = 0; i < arguments.length; i++) if (arguments[i]) panel.appendChild(arguments[i]);
  }

  function gridLine(label, grid, strong) {
    if (!grid) return null;
    return h(
      "div",
      { class: "located-row" },
      h("dt", { text: label }),
      h("dd", {}, strong ? h("strong", { text: grid.name }) : grid.name, " ", h("span", { class: "grid-code", text: grid.code }))
    );
  }

  function render(answer) {
    if (!answer.inside) {
      panel.classList.add("is-outside");
      show(h("p", { class: "located-outside", text: answer.message || t.outside }));
      // Show the county again, so that the right place is one click away.
      overviewReady.then(function () {
        if (overview.getLayers().length) map.fitBounds(overview.getBounds(), { padding: [12, 12] });
      });
      return;
    }
    panel.classList.remove("is-outside");
    var who = answer.responsible;
    var responsible = who
      ? h(
          "div",
          { class: "located-row" },
          h("dt", { text: t.responsible }),
          h(
            "dd",
            {},
            h("strong", { text: who.name }),
            " ",
            h("span", { class: "muted", text: "(" + who.role_label + (who.place ? " · " + who.place.name : "") + ")" }),
            who.phone ? " " : null,
            who.phone ? h("a", { class: "phone", href: "tel:" + who.phone, text: who.phone }) : null
          )
        )
      : h("div", { class: "located-row" }, h("dt", { text: t.responsible }), h("dd", { class: "muted", text: t.noResponsible }));
    show(
      h(
        "dl",
        { class: "located-facts" },
        gridLine(t.micro, answer.micro, true),
        gridLine(t.community, answer.community),
        gridLine(t.large, answer.large),
        responsible
      )
    );
  }

  // Possible duplicates: same subcategory, open, within 50 m, last 7 days (cases.selectors).
  var dupPanel = document.getElementById("duplicates");
  var categorySelect = document.getElementById("id_category");
  var dupTicket = 0;

  function showDuplicates() {
    var mine = ++dupTicket;
    var lon = parseFloat(lonInput.value);
    var lat = parseFloat(latInput.value);
    var category = categorySelect ? categorySelect.value : "";
    if (!config.duplicatesUrl || !category || !isFinite(lon) || !isFinite(lat)) {
      dupPanel.hidden = true;
      dupPanel.textContent = "";
      return;
    }
    var url = config.duplicatesUrl + "?lon=" + encodeURIComponent(lon) + "&lat=" + encodeURIComponent(lat) +
      "&category=" + encodeURIComponent(category);
    MapBase.api(url)
      .then(function (found) {
        if (mine !== dupTicket) return;
        dupPanel.textContent = "";
        if (!found.length) {
          dupPanel.hidden = true;
          return;
        }
        var list = h("ul", { class: "plain-list duplicate-list" });
        found.forEach(function (item) {
          list.appendChild(
            h(
              "li",
              { class: "duplicate" },
              h("a", { class: "mono", href: item.url, target: "_blank", rel: "noopener", text: item.tracking_number }),
              " ",
              h("span", { class: "status status-new", text: item.status_label }),
              " ",
              h("span", { class: "muted small", text: t.metres.replace("%(m)s", Math.round(item.distance_m)) }),
              item.description ? h("span", { class: "small", text: " " + item.description.slice(0, 60) }) : null
            )
          );
        });
        dupPanel.appendChild(h("h3", { text: t.duplicatesTitle }));
        dupPanel.appendChild(h("p", { class: "muted small", text: t.duplicatesHint }));
        dupPanel.appendChild(list);
        dupPanel.hidden = false;
      })
      .catch(function () {
        if (mine === dupTicket) dupPanel.hidden = true;
      });
  }
  if (categorySelect) categorySelect.addEventListener("change", showDuplicates);

  // On a phone: the point from its GPS.
  var gpsButton = document.getElementById("use-gps");
  var gpsStatus = document.getElementById("gps-status");
  if (gpsButton && navigator.geolocation) {
    gpsButton.hidden = false;
    gpsButton.addEventListener("click", function () {
      gpsStatus.textContent = t.gpsWaiting;
      navigator.geolocation.getCurrentPosition(
        function (position) {
          gpsStatus.textContent = "";
          var latlng = L.latLng(position.coords.latitude, position.coords.longitude);
          setPoint(latlng);
          map.setView(latlng, 17);
        },
        function () {
          gpsStatus.textContent = t.gpsFailed;
        },
        { enableHighAccuracy: true, timeout: 15000 }
      );
    });
  }

  function locate(lon, lat) {
    var mine = ++ticket;
    panel.classList.remove("is-outside");
    show(h("p", { class: "muted small", text: t.locating }));
    var url = config.locateUrl + "?lon=" + encodeURIComponent(lon) + "&lat=" + encodeURIComponent(lat);
    MapBase.api(url)
      .then(function (answer) {
        if (mine !== ticket) return;
        render(answer);
        showDuplicates();
        var community = answer.community ? answer.community.id : null;
        var micro = answer.micro ? answer.micro.id : null;
        return CaseMap.drawMicroGrids(config, grids, community, micro);
      })
      .catch(function () {
        if (mine === ticket) show(h("p", { class: "located-outside", text: t.locateFailed }));
      });
  }

  function place(latlng, pan) {
    if (marker) marker.setLatLng(latlng);
    else marker = L.marker(latlng, { icon: MapBase.pin(), keyboard: false, interactive: false }).addTo(map);
    if (pan) map.panTo(latlng);
  }

  function setPoint(latlng, options) {
    lonInput.value = latlng.lng.toFixed(6);
    latInput.value = latlng.lat.toFixed(6);
    var error = document.getElementById("location-error");
    if (error) error.remove();
    place(latlng, false);
    locate(lonInput.value, latInput.value);
    // address-search.js fills the address of a point set on the map (not of one it picked itself)
    document.dispatchEvent(
      new CustomEvent("intake:point", {
        detail: { lon: lonInput.value, lat: latInput.value, fromSearch: Boolean(options && options.fromSearch) },
      })
    );
  }

  function typedPoint() {
    var lon = parseFloat(lonInput.value);
    var lat = parseFloat(latInput.value);
    if (!isFinite(lon) || !isFinite(lat) || Math.abs(lon) > 180 || Math.abs(lat) > 90) return null;
    return L.latLng(lat, lon);
  }

  map.on("click", function (event) {
    clearAsset();
    setPoint(event.latlng);
  });

  // ---- the component (部件) the report is about --------------------------------------

  var assetInput = document.getElementById("id_asset");
  var assetPanel = document.getElementById("picked-asset");
  var assetHint = document.getElementById("asset-hint");
  var at = config.assetStrings || {};

  function clearAsset() {
    if (!assetInput || !assetInput.value) return;
    assetInput.value = "";
    assetPanel.textContent = "";
    assetPanel.hidden = true;
  }

  function showAsset(p) {
    var maintainer = AssetLayer.maintainerName(p);
    var forget = h("button", { type: "button", class: "btn btn-small", text: at.forget });
    forget.addEventListener("click", clearAsset);
    assetPanel.textContent = "";
    assetPanel.appendChild(
      h(
        "dl",
        { class: "located-facts" },
        h(
          "div",
          { class: "located-row" },
          h("dt", { text: at.asset }),
          h("dd", {}, h("strong", { text: p.category.name }), " ", h("span", { class: "grid-code asset-code", text: p.code }),
            p.name ? " " + p.name : "", " (" + p.status_label + ")")
        ),
        h(
          "div",
          { class: "located-row" },
          h("dt", { text: at.maintainer }),
          h("dd", { class: maintainer ? "asset-maintainer" : "muted asset-maintainer", text: maintainer || at.noMaintainer })
        )
      )
    );
    assetPanel.appendChild(h("p", { class: "muted small", text: maintainer ? at.routed : at.routedByRules }));
    assetPanel.appendChild(forget);
    assetPanel.hidden = false;
  }

  // Pick an asset: its id, its point (a line: where it was clicked), its subcategory.
  function pickAsset(p, geometryType, latlng, keepPoint) {
    assetInput.value = p.id;
    if (!keepPoint) {
      var where = geometryType === "Point" || !latlng ? L.latLng(p.point[1], p.point[0]) : latlng;
      setPoint(where);
    }
    if (categorySelect && !keepPoint) {
      categorySelect.value = String(p.category.id);
      categorySelect.dispatchEvent(new Event("change"));
    }
    showAsset(p);
  }

  if (assetInput && config.assetsUrl && window.AssetLayer) {
    AssetLayer.attach(map, config, {
      onPick: pickAsset,
      onStatus: function (text) {
        if (assetHint) assetHint.textContent = text;
      },
    });
    if (assetInput.value) {
      // Back with errors, or sent here from an asset's page: show the asset again.
      MapBase.api(config.assetUrl.replace("{id}", encodeURIComponent(assetInput.value)))
        .then(function (asset) {
          var keep = Boolean(typedPoint());
          pickAsset(asset, asset.geometry.type, null, keep);
          if (!keep) map.setView(L.latLng(asset.point[1], asset.point[0]), 18);
        })
        .catch(function () {
          assetInput.value = "";
        });
    }
  }

  // Keyboard: arrows move the map (Leaflet), Enter puts the point at the centre.
  element.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target === element) {
      event.preventDefault();
      setPoint(map.getCenter());
    }
  });

  function onTyped() {
    var latlng = typedPoint();
    if (!latlng) return;
    place(latlng, true);
    locate(lonInput.value, latInput.value);
  }
  lonInput.addEventListener("change", onTyped);
  latInput.addEventListener("change", onTyped);

  var overviewReady = CaseMap.drawOverview(config, overview)
    .then(function () {
      if (!typedPoint() && overview.getLayers().length) map.fitBounds(overview.getBounds(), { padding: [12, 12] });
    })
    .catch(function () {
      /* the map still takes clicks without the outlines */
    });

  // What address-search.js uses: the map, and setting the point as a click does.
  window.CaseIntake = { map: map, setPoint: setPoint };

  // Back with errors: show the point that was sent.
  var start = typedPoint();
  if (start) {
    place(start, false);
    map.setView(start, 16);
    locate(lonInput.value, latInput.value);
  }
})();
