/* KPI charts: progressive enhancement over the tables on the KPI page.
 *
 * Reads the payload the page renders with json_script (#kpi-chart-data) and draws each
 * [data-chart] box with ECharts (static/vendor/echarts.min.js). Without JavaScript the boxes
 * stay hidden and the tables carry the same figures.
 */
(function () {
  "use strict";

  var BLUE = "#1f4e79";
  var RED = "#b3261e";
  var GREEN = "#1a7f37";

  function targetLine(data) {
    if (data.target === null || data.target === undefined) return undefined;
    return {
      silent: true,
      symbol: "none",
      lineStyle: { color: RED, type: "dashed" },
      label: { formatter: String(data.target) + data.kpi.unit },
      data: [{ yAxis: data.target }],
    };
  }

  function valueAxis(data) {
    var axis = { type: "value", name: data.kpi.unit };
    if (data.kpi.unit === "%") axis.max = 100;
    return axis;
  }

  var builders = {
    bar: function (data) {
      if (!data.bar.labels.length) return null;
      return {
        tooltip: { trigger: "axis" },
        grid: { left: 48, right: 24, bottom: 64 },
        xAxis: { type: "category", data: data.bar.labels, axisLabel: { rotate: data.bar.labels.length > 6 ? 30 : 0 } },
        yAxis: valueAxis(data),
        series: [{ name: data.kpi.label, type: "bar", data: data.bar.values, itemStyle: { color: BLUE }, markLine: targetLine(data) }],
      };
    },
    trend: function (data) {
      return {
        tooltip: { trigger: "axis" },
        grid: { left: 48, right: 24, bottom: 40 },
        xAxis: { type: "category", data: data.trend.labels },
        yAxis: valueAxis(data),
        series: [{ name: data.kpi.label, type: "line", data: data.trend.values, connectNulls: false, showAllSymbol: true, symbolSize: 7, itemStyle: { color: BLUE }, markLine: targetLine(data) }],
      };
    },
    heat: function (data) {
      if (!data.heat.rows.length) return null;
      var values = data.heat.cells.map(function (c) { return c[2]; });
      var reach = Math.max(1, Math.max.apply(null, values.map(Math.abs)));
      return {
        tooltip: { position: "top" },
        grid: { left: 120, right: 24, bottom: 90, top: 16 },
        xAxis: { type: "category", data: data.heat.columns, splitArea: { show: true }, axisLabel: { rotate: data.heat.columns.length > 6 ? 30 : 0 } },
        yAxis: { type: "category", data: data.heat.rows, splitArea: { show: true } },
        visualMap: { min: -reach, max: reach, calculable: true, orient: "horizontal", left: "center", bottom: 0, inRange: { color: [GREEN, "#f7f7f7", RED] } },
        series: [{ type: "heatmap", data: data.heat.cells, label: { show: true } }],
      };
    },
    distribution: function (data) {
      return {
        tooltip: { trigger: "axis" },
        grid: { left: 48, right: 24, bottom: 40 },
        xAxis: { type: "category", data: data.distribution.labels },
        yAxis: { type: "value", minInterval: 1 },
        series: [{ type: "bar", data: data.distribution.values, itemStyle: { color: BLUE } }],
      };
    },
    ranking: function (data) {
      if (!data.ranking.labels.length) return null;
      var top = data.ranking.top;
      return {
        tooltip: { trigger: "axis" },
        grid: { left: 140, right: 24, bottom: 24 },
        xAxis: valueAxis(data),
        yAxis: { type: "category", data: data.ranking.labels.slice().reverse() },
        series: [{
          type: "bar",
          data: data.ranking.values.map(function (v, i) {
            return { value: v, itemStyle: { color: i < top ? GREEN : RED } };
          }).reverse(),
        }],
      };
    },
  };

  function draw() {
    var source = document.getElementById("kpi-chart-data");
    if (!source || !window.echarts) return;
    var data = JSON.parse(source.textContent);
    var charts = [];
    document.querySelectorAll("[data-chart]").forEach(function (box) {
      var build = builders[box.getAttribute("data-chart")];
      var option = build ? build(data) : null;
      if (!option) return;
      box.hidden = false;
      if (box.getAttribute("data-chart") === "heat") {
        // One band per need category: a few categories need less room than many.
        box.style.height = Math.max(220, 36 * data.heat.rows.length + 130) + "px";
      }
      // No animation: figures for officials should appear as they are, at once.
      option.animation = false;
      // Tooltips drawn on the canvas: ECharts' HTML tooltips carry style="..." attributes,
      // which the Content-Security-Policy (style-src without 'unsafe-inline') blocks.
      if (option.tooltip) option.tooltip.renderMode = "richText";
      var chart = window.echarts.init(box);
      chart.setOption(option);
      charts.push(chart);
    });
    window.addEventListener("resize", function () {
      charts.forEach(function (chart) { chart.resize(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
