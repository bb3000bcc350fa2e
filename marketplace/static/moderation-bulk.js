/* Moderation queue, bulk decisions: one "Select all" box ticks or clears every listing's box (they
   belong to the bulk form through their `form` attribute). Without this script the page offers
   "Select all" / "Select none" links, which render the queue with every box ticked or none. */
(function () {
  "use strict";
  var all = document.querySelector("[data-select-all]");
  if (!all) { return; }
  var boxes = function () {
    return Array.prototype.slice.call(document.querySelectorAll('input[type="checkbox"][name="items"][form="bulk-form"]'));
  };
  var sync = function () {
    var list = boxes();
    var ticked = list.filter(function (box) { return box.checked; }).length;
    all.checked = list.length > 0 && ticked === list.length;
    all.indeterminate = ticked > 0 && ticked < list.length;
  };
  document.querySelectorAll("[data-select-all-label]").forEach(function (label) { label.hidden = false; });
  document.querySelectorAll("[data-select-all-link], [data-select-none-link]").forEach(function (link) {
    link.hidden = true;
    if (link.nextSibling && link.nextSibling.nodeType === 3) { link.nextSibling.textContent = " "; }
  });
  all.addEventListener("change", function () {
    boxes().forEach(function (box) { box.checked = all.checked; });
    all.indeterminate = false;
  });
  boxes().forEach(function (box) { box.addEventListener("change", sync); });
  sync();
})();
