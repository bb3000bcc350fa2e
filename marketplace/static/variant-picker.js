/* The listing page's option pickers (CSP: script-src 'self'). Progressive enhancement only: without
   it the form sends the chosen values (one option) or the variant chosen in a select of the existing
   combinations (two: this script removes that select and shows the radio groups), and the server finds
   the variant or refuses it.
   - Picking values shows that variant's price, stock ("tinggal 1") and photo.
   - A value that makes no combination in stock with the other pick is disabled; so is the button
     while the picks name no variant in stock. The variants come from the list's data attributes. */
(function () {
  "use strict";
  document.querySelectorAll("form[data-variant-picker]").forEach(function (form) {
    var variants = Array.prototype.map.call(form.querySelectorAll("[data-variant]"), function (item) {
      return {
        options: JSON.parse(item.getAttribute("data-options")),
        price: item.getAttribute("data-price"),
        stock: parseInt(item.getAttribute("data-stock"), 10),
        stockText: item.getAttribute("data-stock-text"),
        image: item.getAttribute("data-image")
      };
    });
    var select = form.querySelector("[data-variant-select]");
    if (select) { select.parentNode.removeChild(select); }  // the page's picker without script (two options)
    var groups = Array.prototype.slice.call(form.querySelectorAll("fieldset.variant-options"));
    groups.forEach(function (group) { group.hidden = false; });
    var button = form.querySelector("[data-variant-add]");
    var quantity = form.querySelector("input[name=quantity]");
    var price = document.querySelector("[data-variant-price]");
    var stock = document.querySelector("[data-variant-stock]");
    var photo = document.querySelector("[data-gallery] .main-photo");
    var most = quantity ? parseInt(quantity.max, 10) || 100 : 100;

    function picked() {
      return groups.map(function (group) {
        var checked = group.querySelector("input:checked");
        return checked ? checked.value : null;
      });
    }

    function matches(variant, values) {
      return values.every(function (value, i) { return value === null || variant.options[i] === value; });
    }

    function update() {
      var values = picked();
      groups.forEach(function (group, i) {
        group.querySelectorAll("input[type=radio]").forEach(function (radio) {
          var trial = values.slice();
          trial[i] = radio.value;
          radio.disabled = !variants.some(function (v) { return v.stock > 0 && matches(v, trial); });
        });
      });
      var complete = values.every(function (value) { return value !== null; });
      var chosen = complete ? variants.filter(function (v) { return matches(v, values); })[0] : null;
      if (button) { button.disabled = complete && !(chosen && chosen.stock > 0); }
      if (!chosen) { return; }
      if (price) { price.textContent = chosen.price; }
      if (stock) { stock.textContent = chosen.stockText; }
      if (quantity && chosen.stock > 0) { quantity.max = String(Math.min(chosen.stock, most)); }
      if (photo && chosen.image) { photo.src = chosen.image; photo.removeAttribute("srcset"); }
    }

    form.addEventListener("change", update);
    update();
  });
})();
