/* Site-wide progressive enhancement (CSP: script-src 'self', so no inline script anywhere).
   Search filters: a <details> that is closed in the HTML, so on a phone the results start on the
   first screen; on a wide screen (the two-column layout, 48rem) it is opened here. Without this
   script the filters are one tap away on every screen. */
(function () {
  "use strict";
  if (window.matchMedia && window.matchMedia("(min-width: 48rem)").matches) {
    document.querySelectorAll("details[data-open-wide]").forEach(function (box) { box.open = true; });
  }
})();
/* Listing gallery: a thumbnail link (?photo=N, which works without script) shows its photo in place. */
(function () {
  "use strict";
  document.querySelectorAll("[data-gallery]").forEach(function (gallery) {
    var main = gallery.querySelector(".main-photo");
    if (!main) { return; }
    gallery.querySelectorAll(".thumbs a[data-full]").forEach(function (link, i) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        main.src = link.getAttribute("data-full");
        main.width = Number(link.getAttribute("data-width"));
        main.height = Number(link.getAttribute("data-height"));
        main.alt = main.alt.replace(/\(\d+\)$/, "(" + (i + 1) + ")");
        gallery.querySelectorAll(".thumbs a").forEach(function (other) {
          other.setAttribute("aria-current", other === link ? "true" : "false");
        });
      });
    });
  });
})();
/* Share buttons: "copy link" puts the page's tagged address on the clipboard (shown only where it works). */
(function () {
  "use strict";
  if (!navigator.clipboard) { return; }
  document.querySelectorAll("[data-copy-link]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(button.getAttribute("data-copy-link")).then(function () {
        button.textContent = button.getAttribute("data-copied");
      });
    });
  });
})();
/* Tables as cards on a phone (site.css, under 600 px): each cell is labelled with its column's header
   (data-label, shown above the value), and the table's roles are written out so that a screen reader still
   reads a table when the CSS makes its rows blocks. */
(function () {
  "use strict";
  document.querySelectorAll("main table:not(.keep-table):not([role=presentation])").forEach(function (table) {
    var names = [];
    var head = table.tHead && table.tHead.rows[table.tHead.rows.length - 1];
    if (head) {
      Array.prototype.forEach.call(head.cells, function (cell) {
        for (var span = 0; span < (cell.colSpan || 1); span++) { names.push(cell.textContent.trim()); }
      });
    }
    table.setAttribute("role", "table");
    Array.prototype.forEach.call(table.rows, function (row) {
      row.setAttribute("role", "row");
      var column = 0;
      Array.prototype.forEach.call(row.cells, function (cell) {
        var inHead = row.parentNode === table.tHead;
        if (!cell.hasAttribute("role")) {
          cell.setAttribute("role", inHead ? "columnheader" : (cell.tagName === "TH" ? "rowheader" : "cell"));
        }
        if (!inHead && names[column] && !cell.hasAttribute("data-label") && cell.colSpan === 1) {
          cell.setAttribute("data-label", names[column]);
        }
        column += cell.colSpan || 1;
      });
    });
    Array.prototype.forEach.call(table.tBodies, function (body) { body.setAttribute("role", "rowgroup"); });
    if (table.tHead) { table.tHead.setAttribute("role", "rowgroup"); }
  });
})();

// A page whose state is about to change (a payment on its way) says so with data-refresh-after="seconds":
// it is read again after that long (no timed <meta refresh>, which screen readers cannot stop).
(function () {
  var marker = document.querySelector("[data-refresh-after]");
  if (!marker) return;
  var seconds = parseInt(marker.getAttribute("data-refresh-after"), 10);
  if (seconds > 0) setTimeout(function () { window.location.reload(); }, seconds * 1000);
})();

/* Header search: suggestions as you type (products, shops, categories) from /search/suggest. Without this
   script the box is a plain search form; with it, a list of links opens under the box (Tab reaches them,
   Escape closes it). */
(function () {
  "use strict";
  var form = document.querySelector("form[data-suggest]");
  if (!form || !window.fetch) { return; }
  var input = form.querySelector("input[name=q]");
  var box = document.createElement("div");
  box.className = "suggest-box";
  box.id = "search-suggestions";
  box.hidden = true;
  form.appendChild(box);
  input.setAttribute("aria-controls", box.id);
  var timer = null, controller = null, groups = ["products", "shops", "categories"];
  function close() { box.hidden = true; box.textContent = ""; }
  function show(data) {
    box.textContent = "";
    groups.forEach(function (group) {
      if (!data[group] || !data[group].length) { return; }
      var heading = document.createElement("p");
      heading.className = "suggest-heading";
      heading.textContent = form.getAttribute("data-label-" + group);
      var list = document.createElement("ul");
      data[group].forEach(function (entry) {
        var item = document.createElement("li"), link = document.createElement("a");
        link.href = entry.url;
        link.textContent = entry.name;
        item.appendChild(link);
        list.appendChild(item);
      });
      box.appendChild(heading);
      box.appendChild(list);
    });
    box.hidden = !box.firstChild;
  }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    var q = input.value.trim();
    if (q.length < 2) { close(); return; }
    timer = setTimeout(function () {
      if (controller) { controller.abort(); }
      controller = window.AbortController ? new AbortController() : null;
      fetch(form.getAttribute("data-suggest") + "?q=" + encodeURIComponent(q),
            {headers: {"Accept": "application/json"}, signal: controller ? controller.signal : undefined})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) { if (data && input.value.trim() === q) { show(data); } })
        .catch(function () {});
    }, 150);
  });
  form.addEventListener("keydown", function (event) { if (event.key === "Escape") { close(); input.focus(); } });
  document.addEventListener("click", function (event) { if (!form.contains(event.target)) { close(); } });
})();
