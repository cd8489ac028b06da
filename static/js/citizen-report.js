/* The public 随手拍 page: the photo made smaller in the browser (canvas) before it is sent,
 * the place from the phone's position or a tap on the map, and a preview. Without JavaScript
 * the form still works (the photo is sent as it is, the coordinates typed).
 *
 * Re-drawing the photo on a canvas also drops its metadata (the phone's GPS position, its
 * serial number) before it leaves the phone; the server keeps its own checks either way.
 */
(function () {
  "use strict";

  document.documentElement.classList.add("js");
  var MAX_SIDE = 1600; // px, as the server's display copy
  var QUALITY = 0.85;

  var config = MapBase.json("map-config");
  var t = MapBase.json("map-strings");
  var form = document.getElementById("report-form");
  var latInput = form.querySelector("[name=lat]");
  var lngInput = form.querySelector("[name=lng]");
  var status = document.getElementById("location-status");
  var photoInput = form.querySelector("[name=photo]");
  var photoStatus = document.getElementById("photo-status");
  var preview = document.getElementById("photo-preview");

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, key) {
      return values[key];
    });
  }

  // ---- the map ---------------------------------------------------------------

  var map = MapBase.create("report-map", config);
  var outline = null;
  if (config.outline) {
    outline = L.geoJSON(config.outline, {
      interactive: false,
      style: { color: "#2563eb", weight: 2, opacity: 0.8, fillColor: "#2563eb", fillOpacity: 0.05 },
    }).addTo(map);
    map.fitBounds(outline.getBounds(), { padding: [8, 8] });
  }
  var marker = null;

  // Ray casting over the outline's rings: a hint only, the server decides.
  function inRing(point, ring) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if (yi > point[1] !== yj > point[1] && point[0] < ((xj - xi) * (point[1] - yi)) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  }
  function insideCity(lat, lng) {
    if (!config.outline) return true;
    var polygons = config.outline.type === "Polygon" ? [config.outline.coordinates] : config.outline.coordinates;
    return polygons.some(function (rings) {
      if (!inRing([lng, lat], rings[0])) return false;
      return !rings.slice(1).some(function (hole) {
        return inRing([lng, lat], hole);
      });
    });
  }

  function setPoint(lat, lng, message) {
    latInput.value = lat.toFixed(6);
    lngInput.value = lng.toFixed(6);
    var latlng = L.latLng(lat, lng);
    if (marker) marker.setLatLng(latlng);
    else marker = L.marker(latlng, { keyboard: false, interactive: false, icon: MapBase.pin() }).addTo(map);
    var error = document.getElementById("location-error");
    if (error) error.remove();
    status.textContent = insideCity(lat, lng) ? message : t.outside;
  }

  map.on("click", function (event) {
    setPoint(event.latlng.lat, event.latlng.lng, t.tapped);
  });

  document.getElementById("use-gps").addEventListener("click", function () {
    if (!navigator.geolocation) {
      status.textContent = t.noGeolocation;
      return;
    }
    status.textContent = t.locating;
    navigator.geolocation.getCurrentPosition(
      function (position) {
        var c = position.coords;
        setPoint(c.latitude, c.longitude, fill(t.located, { metres: Math.round(c.accuracy) }));
        map.setView([c.latitude, c.longitude], Math.max(map.getZoom(), 16));
      },
      function () {
        status.textContent = t.geolocationFailed;
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
    );
  });

  // Back with errors: show the point that was sent.
  var lat0 = parseFloat(latInput.value), lng0 = parseFloat(lngInput.value);
  if (isFinite(lat0) && isFinite(lng0)) {
    setPoint(lat0, lng0, status.textContent);
    map.setView([lat0, lng0], 16);
  }
  [latInput, lngInput].forEach(function (input) {
    input.addEventListener("change", function () {
      var lat = parseFloat(latInput.value), lng = parseFloat(lngInput.value);
      if (isFinite(lat) && isFinite(lng)) {
        setPoint(lat, lng, t.tapped);
        map.setView([lat, lng], 16);
      }
    });
  });

  // ---- the photo -------------------------------------------------------------

  function sizeText(bytes) {
    return bytes > 1048576 ? (bytes / 1048576).toFixed(1) + " MB" : Math.max(1, Math.round(bytes / 1024)) + " KB";
  }

  function decode(file) {
    // createImageBitmap turns the photo upright by its EXIF orientation where supported.
    if (window.createImageBitmap) {
      return createImageBitmap(file, { imageOrientation: "from-image" }).catch(function () {
        return decodeWithImg(file);
      });
    }
    return decodeWithImg(file);
  }

  function decodeWithImg(file) {
    return new Promise(function (resolve, reject) {
      var url = URL.createObjectURL(file);
      var img = new Image();
      img.onload = function () {
        resolve(img);
      };
      img.onerror = function () {
        URL.revokeObjectURL(url);
        reject(new Error("undecodable"));
      };
      img.src = url;
    });
  }

  function shrink(file) {
    return decode(file).then(function (image) {
      var width = image.width, height = image.height;
      var scale = Math.min(1, MAX_SIDE / Math.max(width, height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(width * scale);
      canvas.height = Math.round(height * scale);
      var context = canvas.getContext("2d");
      context.fillStyle = "#fff"; // a transparent PNG becomes white, as on the server
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(image, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve, reject) {
        canvas.toBlob(
          function (blob) {
            if (blob) resolve(blob);
            else reject(new Error("no blob"));
          },
          "image/jpeg",
          QUALITY
        );
      });
    });
  }

  var replacing = false;
  var pending = null; // the resizing under way: the form waits for it
  photoInput.addEventListener("change", function () {
    if (replacing) return;
    var file = photoInput.files && photoInput.files[0];
    if (!file) return;
    photoStatus.textContent = t.resizing;
    var mine = (pending = shrink(file)
      .then(function (blob) {
        // Always the re-drawn copy: smaller, and without the photo's location data.
        var sent = blob;
        try {
          var transfer = new DataTransfer();
          transfer.items.add(new File([blob], "photo.jpg", { type: "image/jpeg" }));
          replacing = true;
          photoInput.files = transfer.files;
        } catch (e) {
          sent = file; // an older browser: the original is sent, the server checks it
        } finally {
          replacing = false;
        }
        preview.src = URL.createObjectURL(sent);
        preview.hidden = false;
        photoStatus.textContent = fill(t.photoReady, { size: sizeText(sent.size) });
      })
      .catch(function () {
        // Not decodable here (e.g. HEIC in some browsers): send it as it is and let the server say.
        preview.hidden = true;
        photoStatus.textContent = t.photoUnreadable;
      })
      .then(function () {
        if (pending === mine) pending = null;
      }));
  });

  // Sent while the photo is still being made smaller: wait for it, then send (once).
  form.addEventListener("submit", function (event) {
    if (!pending) return;
    event.preventDefault();
    event.stopPropagation(); // case-forms.js must not mark the form as sent yet
    pending.then(function () {
      if (form.requestSubmit) form.requestSubmit();
      else form.submit();
    });
  });
})();
