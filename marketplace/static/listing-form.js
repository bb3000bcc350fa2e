/* The new-product form (CSP: script-src 'self'). Progressive enhancement only: the server checks
   everything this does (a product without photos needs the "send without a photo" box ticked).
   - Previews of the chosen photos (read as data: URLs, which the image policy allows).
   - Submitting without a photo asks first; "yes" ticks the box, so the server accepts it. */
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
})();
