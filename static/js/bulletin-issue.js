/* A bulletin issue's charts (ECharts): the trend of the closure rates and the composite score of
   the community grids, from the same content as the PDF's charts (json_script "issue-charts"). */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("issue-charts").textContent);
  function chart(id, option) {
    var el = document.getElementById(id);
    if (!el || !window.echarts) return;
    var c = window.echarts.init(el, null, { renderer: "svg" });
    c.setOption(option);
    window.addEventListener("resize", function () { c.resize(); });
  }
  chart("issue-trend-chart", {
    animation: false,
    legend: { top: 0 },
    grid: { left: 48, right: 24, top: 36, bottom: 28 },
    xAxis: { type: "category", data: data.trend.labels },
    yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
    series: [
      { name: data.trend.names[0], type: "line", data: data.trend.closure, itemStyle: { color: "#0f766e" } },
      { name: data.trend.names[1], type: "line", data: data.trend.on_time, itemStyle: { color: "#c2410c" } }
    ]
  });
  chart("issue-ranking-chart", {
    animation: false,
    grid: { left: 110, right: 24, top: 8, bottom: 24 },
    xAxis: { type: "value", min: 0, max: 100 },
    yAxis: { type: "category", data: data.ranking.labels.slice().reverse() },
    series: [{ name: data.ranking.name, type: "bar", data: data.ranking.scores.slice().reverse(),
               itemStyle: { color: "#1d5fd1" } }]
  });
})();
