/* The inventory's pages: a map with the assets (asset-layer.js); on an asset's page, centred on
 * it with a pin. Config from the page (json_script "map-config"). */
(function () {
  "use strict";

  var element = document.getElementById("asset-map");
  if (!element) return;
  var config = MapBase.json("map-config");
  var status = document.getElementById("asset-map-status");
  var options = {};
  if (config.point) options = { center: L.latLng(config.point[1], config.point[0]), zoom: 18 };
  var map = MapBase.create(element, config, options);
  if (config.point) {
    L.marker(L.latLng(config.point[1], config.point[0]), { icon: MapBase.pin(), keyboard: false, interactive: false }).addTo(map);
  }
  if (!config.assetsUrl || !window.AssetLayer) return;
  AssetLayer.attach(map, config, {
    onStatus: function (text) {
      if (status) status.textContent = text;
    },
  });
})();
