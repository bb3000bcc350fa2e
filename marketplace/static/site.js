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
