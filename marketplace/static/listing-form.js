/* The new-product form (CSP: script-src 'self'). Progressive enhancement only: the server checks
   everything this does (a product without photos needs the "send without a photo" box ticked).
   - Previews of the chosen photos (read as data: URLs, which the image policy allows).
   - Submitting without a photo asks first; "yes" ticks the box, so the server accepts it.
   - The variant table: a row per combination of the option values, redrawn as they are typed (what
     was typed in a row stays with its combination); without script the "Make the variant table"
     button asks the server for the same rows. */
(function () {
  "use strict";
  document.querySelectorAll("form[data-listing-form]").forEach(function (form) {
    var input = form.querySelector("input[type=file][data-preview]");
    var list = input && document.getElementById(input.getAttribute("data-preview"));
    var without = form.querySelector("input[name=without_photos]");
    if (input && list) {
      input.addEventListener("change", function () {
        list.textContent = "";
        Array.prototype.forEach.call(input.files || [], function (file) {
          if (!/^image\//.test(file.type)) { return; }
          var item = document.createElement("li");
          var img = document.createElement("img");
          img.alt = file.name;
          img.width = 96; img.height = 96;
          item.appendChild(img);
          list.appendChild(item);
          var reader = new FileReader();
          reader.onload = function () { img.src = reader.result; };
          reader.readAsDataURL(file);
        });
        if (without && input.files && input.files.length) { without.checked = false; }
      });
    }
    form.addEventListener("submit", function (event) {
      var none = !input || !input.files || input.files.length === 0;
      if (none && without && !without.checked) {
        if (window.confirm(form.getAttribute("data-confirm-no-photo"))) { without.checked = true; }
        else { event.preventDefault(); }
      }
    });
  });

  document.querySelectorAll("[data-variant-grid]").forEach(function (grid) {
    var rows = grid.querySelector("[data-variant-rows]");
    var build = grid.querySelector("[data-build-grid]");
    var photoChoice = grid.querySelector("template[data-photo-choice]");
    if (build) { build.hidden = true; }

    function split(text) {
      var seen = [];
      text.split(",").forEach(function (part) {
        var value = part.replace(/\s+/g, " ").trim();
        if (value && seen.every(function (s) { return s.toLowerCase() !== value.toLowerCase(); })) { seen.push(value); }
      });
      return seen;
    }

    function typed() {
      var kept = {};
      rows.querySelectorAll("fieldset.variant-row").forEach(function (row) {
        var key = row.querySelector("input[type=hidden]").value;
        kept[key] = Array.prototype.map.call(row.querySelectorAll("input:not([type=hidden]), select"), function (i) { return i.value; });
      });
      return kept;
    }

    function input(id, name, label, value, numeric) {
      var field = document.createElement("div");
      field.className = "field";
      var l = document.createElement("label");
      l.htmlFor = id; l.textContent = label;
      var i = document.createElement("input");
      i.id = id; i.name = name; i.value = value || "";
      if (numeric) { i.inputMode = "numeric"; }
      field.appendChild(l); field.appendChild(i);
      return field;
    }

    function redraw() {
      var kept = typed();
      var lists = [0, 1].map(function (n) {
        var name = grid.querySelector("[name=option_name_" + n + "]").value.trim();
        return name ? split(grid.querySelector("[name=option_values_" + n + "]").value) : [];
      }).filter(function (values) { return values.length; });
      var combos = lists.length ? [[]] : [];
      lists.forEach(function (values) {
        var next = [];
        combos.forEach(function (c) { values.forEach(function (v) { next.push(c.concat([v])); }); });
        combos = next;
      });
      rows.textContent = "";
      combos.slice(0, 100).forEach(function (values, n) {
        var key = JSON.stringify(values);
        var old = kept[key] || [];
        var row = document.createElement("fieldset");
        row.className = "variant-row";
        var legend = document.createElement("legend");
        legend.textContent = values.join(" · ");
        row.appendChild(legend);
        var hidden = document.createElement("input");
        hidden.type = "hidden"; hidden.name = "variant-" + n + "-values"; hidden.value = key;
        row.appendChild(hidden);
        row.appendChild(input("variant-" + n + "-price", "variant-" + n + "-price_idr", grid.getAttribute("data-label-price"), old[0], true));
        row.appendChild(input("variant-" + n + "-stock", "variant-" + n + "-stock", grid.getAttribute("data-label-stock"), old[1], true));
        row.appendChild(input("variant-" + n + "-sku", "variant-" + n + "-sku", grid.getAttribute("data-label-sku"), old[2], false));
        if (photoChoice) {
          var choice = photoChoice.content.firstElementChild.cloneNode(true);
          choice.querySelector("label").htmlFor = "variant-" + n + "-image";
          var select = choice.querySelector("select");
          select.id = "variant-" + n + "-image"; select.name = "variant-" + n + "-image_id"; select.value = old[3] || "";
          row.appendChild(choice);
        }
        rows.appendChild(row);
      });
    }

    grid.querySelectorAll("[name^=option_]").forEach(function (field) { field.addEventListener("change", redraw); });
  });
})();
