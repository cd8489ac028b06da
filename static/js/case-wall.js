/* The command wall (/cases/wall/, 指挥大屏): today's figures, the open cases by stage, the
 * overdue list, the newest reports and the map, refreshed in place from /api/cases/wall/ and
 * /api/cases/map/ every few seconds, never by reloading the page. A report that arrives is
 * added at the top of the list and flashes. Everything from the server is set as text.
 */
(function () {
  "use strict";

  var config = MapBase.json("map-config");
  var strings = MapBase.json("map-strings");
  var h = MapBase.h;
  var seen = {}; // case id → shown in the newest list already
  var lastGood = null;

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_all, key) { return String(values[key]); });
  }

  function hhmm(iso) {
    if (!iso) return "";
    var date = new Date(iso);
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return pad(date.getHours()) + ":" + pad(date.getMinutes());
  }

  function mmddhhmm(iso) {
    if (!iso) return "";
    var date = new Date(iso);
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return pad(date.getMonth() + 1) + "-" + pad(date.getDate()) + " " + hhmm(iso);
  }

  function text(id, value) {
    var element = document.getElementById(id);
    if (element && element.textContent !== String(value)) {
      element.textContent = String(value);
      element.classList.remove("changed");
      void element.offsetWidth; // restart the animation
      element.classList.add("changed");
    }
  }

  function replace(list, items, empty) {
    while (list.firstChild) list.removeChild(list.firstChild);
    if (!items.length) list.appendChild(h("li", { class: "wall-empty" }, empty));
    items.forEach(function (item) { list.appendChild(item); });
  }

  function row(data, when, extra) {
    return h(
      "li",
      { "data-case": String(data.id), class: extra || null },
      h(
        "a",
        { href: data.url },
        h("span", { class: "wall-number" }, data.tracking_number,
          data.urgent ? h("span", { class: "case-flag case-flag-urgent" }, strings.urgent) : null),
        h("span", { class: "wall-what" }, [data.category || data.status_label, data.grid].filter(Boolean).join(" · ")),
        data.address ? h("span", { class: "wall-address" }, data.address) : null,
        h("span", { class: "wall-when" }, when)
      )
    );
  }

  function stages(list) {
    var max = 1;
    list.forEach(function (stage) { max = Math.max(max, stage.n); });
    var ul = document.getElementById("wall-stages");
    list.forEach(function (stage) {
      var li = ul.querySelector('li[data-status="' + stage.status + '"]');
      if (!li) return;
      li.querySelector(".stage-count").textContent = stage.text;
      li.querySelector(".stage-fill").style.width = Math.round((100 * stage.n) / max) + "%";
      li.classList.toggle("is-empty", stage.n === 0);
    });
  }

  function show(data, first) {
    text("today-reports", data.today.reports);
    text("today-filed", data.today.filed);
    text("today-dispatched", data.today.dispatched);
    text("today-closed", data.today.closed);
    text("open-total", data.open.text);
    stages(data.stages);
    replace(
      document.getElementById("wall-overdue"),
      data.overdue.map(function (item) { return row(item, mmddhhmm(item.deadline), "is-overdue"); }),
      strings.noOverdue
    );
    replace(
      document.getElementById("wall-newest"),
      data.newest.map(function (item) {
        var fresh = !first && !seen[item.id];
        seen[item.id] = true;
        return row(item, hhmm(item.reported_at), fresh ? "is-new" : null);
      }),
      strings.noReports
    );
    lastGood = data.at;
    document.getElementById("wall-updated").textContent = format(strings.updated, { time: hhmm(data.at) });
    document.body.classList.remove("wall-offline");
  }

  function refresh() {
    return MapBase.api(config.wallUrl)
      .then(function (data) { show(data, false); })
      .catch(function () {
        document.body.classList.add("wall-offline");
        document.getElementById("wall-updated").textContent = format(strings.offline, { time: hhmm(lastGood) });
      });
  }

  // The first figures are the page's own: fill the times, mark the reports as seen.
  document.querySelectorAll("#wall-newest li[data-case]").forEach(function (li) {
    seen[li.getAttribute("data-case")] = true;
  });
  document.querySelectorAll("[data-at]").forEach(function (el) { el.textContent = hhmm(el.getAttribute("data-at")); });
  document.querySelectorAll("[data-deadline]").forEach(function (el) {
    el.textContent = mmddhhmm(el.getAttribute("data-deadline"));
  });
  MapBase.api(config.wallUrl).then(function (data) { show(data, true); }).catch(function () {});

  // The clock.
  var clock = document.getElementById("wall-clock");
  function tick() {
    var now = new Date();
    clock.textContent = now.toLocaleString(document.documentElement.lang || "zh-Hans", {
      year: "numeric", month: "2-digit", day: "2-digit", weekday: "short",
      hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
    });
  }
  tick();
  window.setInterval(tick, 1000);

  // Full screen, and back.
  var button = document.getElementById("wall-fullscreen");
  function label() {
    button.textContent = document.fullscreenElement ? strings.exitFullScreen : strings.fullScreen;
  }
  button.addEventListener("click", function () {
    if (document.fullscreenElement) document.exitFullscreen();
    else if (document.documentElement.requestFullscreen) document.documentElement.requestFullscreen();
  });
  document.addEventListener("fullscreenchange", label);

  // The map: every open case, reloaded with the figures.
  var map = MapBase.create("wall-map", config, { keyboard: false });
  if (window.CaseMap) CaseMap.drawOverview(config, L.featureGroup().addTo(map)).catch(function () {});
  var cases = SupervisionMap.attach(map, config, strings, { status: document.getElementById("wall-map-status") });

  var seconds = config.refreshSeconds || 10;
  var turns = 0;
  window.setInterval(function () {
    refresh();
    turns += 1;
    if (turns % 3 === 0) cases.reload(); // the map every third turn: it is the heavier answer
  }, seconds * 1000);
})();
