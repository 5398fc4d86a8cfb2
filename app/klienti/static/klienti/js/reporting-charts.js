// Bar charts for the reporting page, drawn as SVG from the JSON data block
// the server renders (no inline script, no external library).
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";

  function element(name, attributes) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attributes).forEach(function (key) {
      node.setAttribute(key, attributes[key]);
    });
    return node;
  }

  function draw(container, rows) {
    var barHeight = 18, gap = 4, labelWidth = 150, width = 640;
    var max = rows.reduce(function (m, r) {
      return Math.max(m, r.value, r.second || 0);
    }, 0) || 1;
    var height = rows.length * (barHeight + gap) + gap;
    var svg = element("svg", {
      viewBox: "0 0 " + width + " " + height,
      class: "chart-svg",
      role: "img",
    });
    rows.forEach(function (row, index) {
      var y = gap + index * (barHeight + gap);
      var label = element("text", { x: 0, y: y + barHeight - 5, class: "chart-label" });
      label.textContent = row.label;
      svg.appendChild(label);
      var scale = (width - labelWidth - 60) / max;
      var barWidth = Math.max(row.value * scale, 1);
      svg.appendChild(element("rect", {
        x: labelWidth, y: y, width: barWidth, height: row.second === undefined ? barHeight : barHeight / 2,
        class: "chart-bar",
      }));
      if (row.second !== undefined) {
        svg.appendChild(element("rect", {
          x: labelWidth, y: y + barHeight / 2, width: Math.max(row.second * scale, 1),
          height: barHeight / 2, class: "chart-bar chart-bar-second",
        }));
      }
      var value = element("text", { x: labelWidth + barWidth + 4, y: y + barHeight - 5, class: "chart-value" });
      value.textContent = row.second === undefined ? row.value : row.value + " / " + row.second;
      svg.appendChild(value);
    });
    container.appendChild(svg);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var source = document.getElementById("report-data");
    if (!source) { return; }
    var data = JSON.parse(source.textContent);
    document.querySelectorAll("[data-chart]").forEach(function (container) {
      var rows = data[container.getAttribute("data-chart")] || [];
      if (rows.length) { draw(container, rows); }
    });
  });
})();
