(function () {
  "use strict";
  // Filters and sorts rows the server already rendered; reads no data but the DOM's.
  var table = document.getElementById("findings");
  var form = document.getElementById("filters");
  if (!table || !form) { return; }
  form.hidden = false;
  var rows = Array.prototype.slice.call(table.tBodies);
  var selects = Array.prototype.slice.call(form.querySelectorAll("select[data-key]"));
  var text = document.getElementById("f-text");
  var showHidden = document.getElementById("f-hidden");
  var count = document.getElementById("f-count");
  var noMatch = document.getElementById("no-match");
  var searchable = rows.map(function (row) { return row.textContent.toLowerCase(); });

  function matches(row, index) {
    var d = row.dataset;
    for (var i = 0; i < selects.length; i++) {
      var want = selects[i].value;
      if (want && d[selects[i].dataset.key] !== want) { return false; }
    }
    if (!showHidden.checked && d.state !== "active") { return false; }
    var needle = text.value.trim().toLowerCase();
    return !needle || searchable[index].indexOf(needle) !== -1;
  }

  function apply() {
    var shown = 0;
    rows.forEach(function (row, index) {
      var ok = matches(row, index);
      row.hidden = !ok;
      if (ok) { shown++; }
    });
    count.value = "Showing " + shown + " of " + rows.length;
    noMatch.hidden = shown !== 0;
  }

  var keys = {
    severity: function (d) { return [-Number(d.rank), d.file, Number(d.line)]; },
    rule: function (d) { return [d.rule, d.file, Number(d.line)]; },
    category: function (d) { return [d.category, -Number(d.rank), d.file, Number(d.line)]; },
    location: function (d) { return [d.file, Number(d.line), d.rule]; }
  };

  function compare(a, b) {
    for (var i = 0; i < a.length; i++) {
      if (a[i] < b[i]) { return -1; }
      if (a[i] > b[i]) { return 1; }
    }
    return 0;
  }

  function sortBy(header) {
    var key = header.dataset.sort;
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (cell) {
      cell.removeAttribute("aria-sort");
    });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var sorted = rows.map(function (row, index) {
      return { row: row, key: keys[key](row.dataset), index: index };
    });
    sorted.sort(function (a, b) {
      var c = compare(a.key, b.key) || a.index - b.index;
      return ascending ? c : -c;
    });
    sorted.forEach(function (item) { table.appendChild(item.row); });
  }

  Array.prototype.forEach.call(table.querySelectorAll("th[data-sort]"), function (header) {
    header.tabIndex = 0;
    header.addEventListener("click", function () { sortBy(header); });
    header.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sortBy(header); }
    });
  });
  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  apply();
}());
