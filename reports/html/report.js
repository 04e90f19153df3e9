(function () {
  "use strict";
  // Filters the groups the server rendered and draws the code blocks it left to the
  // script as they scroll into view. Reads no data but the DOM's (and the packed lines
  // in it); builds elements and text nodes only, never markup.
  var root = document.documentElement;
  var holder = document.getElementById("code-context");
  var around = holder ? Number(holder.getAttribute("data-lines")) || 3 : 3;
  var files = null;

  // The lines of the code blocks drawn here: JSON, gzipped, in base64 (see html.py).
  function loadFiles() {
    if (files === null) {
      files = new Promise(function (resolve) {
        var text = holder ? holder.textContent.trim() : "";
        var none = function () { resolve([]); };
        if (!text || !("DecompressionStream" in window)) { none(); return; }
        try {
          var raw = window.atob(text);
          var bytes = new Uint8Array(raw.length);
          for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
          var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
          new Response(stream).text().then(JSON.parse).then(resolve, none);
        } catch (e) { none(); }
      });
    }
    return files;
  }

  function lookup(runs, n) {
    for (var i = 0; i < runs.length; i++) {
      var first = runs[i][0], lines = runs[i][1];
      if (n >= first && n < first + lines.length) { return lines[n - first]; }
    }
    return null;
  }

  function codeLine(number, text, hit) {
    var ln = document.createElement("span");
    ln.className = hit ? "ln hit" : "ln";
    var no = document.createElement("span");
    no.className = "no";
    no.textContent = number === null ? "" : String(number);
    ln.appendChild(no);
    ln.appendChild(document.createTextNode(text + "\n"));
    return ln;
  }

  // data-l="12-14" (flagged lines; "+" when the statement goes on): the code block is
  // drawn from the file's lines in the JSON text, with the lines around it.
  function draw(site) {
    var spec = site.getAttribute("data-l");
    var file = site.closest("[data-f]");
    site.removeAttribute("data-l");
    if (!spec || !file) { return; }
    loadFiles().then(function (all) {
      var runs = all[Number(file.getAttribute("data-f"))] || [];
      var cut = spec.charAt(spec.length - 1) === "+";
      var bounds = spec.replace("+", "").split("-");
      var first = Number(bounds[0]), last = Number(bounds[1]);
      var pre = document.createElement("pre");
      pre.className = "code";
      var to = cut ? last : last + around;
      for (var n = Math.max(1, first - around); n <= to; n++) {
        var text = lookup(runs, n);
        if (text !== null) { pre.appendChild(codeLine(n, text, n >= first && n <= last)); }
      }
      if (!pre.firstChild) { return; }
      if (cut) { pre.appendChild(codeLine(null, "\u2026", false)).classList.add("cut"); }
      site.appendChild(pre);
    });
  }

  var observer = "IntersectionObserver" in window ? new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      if (entry.isIntersecting) {
        observer.unobserve(entry.target);
        draw(entry.target);
      }
    });
  }, { rootMargin: "800px 0px" }) : null;

  // Code blocks of a group are drawn only once the group is open and they come near the
  // screen: a closed group costs the page nothing.
  document.addEventListener("toggle", function (event) {
    var group = event.target;
    if (!group.classList || !group.classList.contains("group") || !group.open) { return; }
    Array.prototype.forEach.call(group.querySelectorAll(".site[data-l]"), function (site) {
      if (observer) { observer.observe(site); } else { draw(site); }
    });
  }, true);

  var form = document.getElementById("filters");
  var box = document.getElementById("groups");
  if (!form || !box) { root.setAttribute("data-ready", "1"); return; }
  form.hidden = false;
  var groups = Array.prototype.slice.call(box.querySelectorAll("details.group"));
  var severity = document.getElementById("f-severity");
  var category = document.getElementById("f-category");
  var text = document.getElementById("f-text");
  var count = document.getElementById("f-count");
  var noMatch = document.getElementById("no-match");
  var total = groups.reduce(function (sum, g) { return sum + Number(g.dataset.count); }, 0);
  var index = null;  // per group: [{item, site, file, text}], built on the first search

  function searchIndex() {
    if (index !== null) { return index; }
    index = groups.map(function (group) {
      var title = group.querySelector("summary").textContent.toLowerCase();
      var items = [];
      Array.prototype.forEach.call(group.querySelectorAll("section.file"), function (file) {
        var path = file.querySelector(".path code").textContent.toLowerCase();
        Array.prototype.forEach.call(file.querySelectorAll("li.finding"), function (item) {
          items.push({ item: item, site: item.closest(".site"), file: file,
                       text: path + " " + item.textContent.toLowerCase() });
        });
      });
      return { title: title, items: items, filtered: false };
    });
    return index;
  }

  function search(g, entry, needle) {
    if (!needle || entry.title.indexOf(needle) !== -1) {
      if (entry.filtered) {
        entry.items.forEach(function (e) {
          e.item.hidden = false; e.site.hidden = false; e.file.hidden = false;
        });
        entry.filtered = false;
      }
      return Number(g.dataset.count);
    }
    var shown = 0;
    entry.items.forEach(function (e) { e.site.hidden = true; e.file.hidden = true; });
    entry.items.forEach(function (e) {
      var ok = e.text.indexOf(needle) !== -1;
      e.item.hidden = !ok;
      if (ok) { shown++; e.site.hidden = false; e.file.hidden = false; }
    });
    entry.filtered = true;
    return shown;
  }

  function apply() {
    var sev = severity.value, cat = category.value;
    var needle = text.value.trim().toLowerCase();
    var entries = needle || index !== null ? searchIndex() : null;
    var shown = 0, rules = 0;
    groups.forEach(function (g, i) {
      var n = 0;
      if ((!sev || g.dataset.severity === sev) && (!cat || g.dataset.category === cat)) {
        n = entries ? search(g, entries[i], needle) : Number(g.dataset.count);
      }
      g.hidden = n === 0;
      var label = g.querySelector("summary .count .n");
      label.textContent = n === Number(g.dataset.count) ? String(n) : n + " of " + g.dataset.count;
      shown += n;
      if (n) { rules++; }
    });
    count.value = "Showing " + shown + " of " + total + " findings (" + rules + " rule" +
      (rules === 1 ? "" : "s") + ")";
    noMatch.hidden = shown !== 0;
  }

  var pending = 0;
  function later() {
    window.clearTimeout(pending);
    pending = window.setTimeout(apply, 120);
  }

  document.getElementById("f-open").addEventListener("click", function () {
    groups.forEach(function (g) { if (!g.hidden) { g.open = true; } });
  });
  document.getElementById("f-close").addEventListener("click", function () {
    groups.forEach(function (g) { g.open = false; });
  });
  severity.addEventListener("change", apply);
  category.addEventListener("change", apply);
  text.addEventListener("input", later);
  form.addEventListener("submit", function (event) { event.preventDefault(); apply(); });
  apply();
  root.setAttribute("data-ready", "1");
}());
