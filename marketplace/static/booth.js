// The booth sale form's total, worked out as the artisan types the quantities (the server works it out
// again when the sale is rung up; without script the total shows on the next page).
(function () {
  var form = document.querySelector("[data-booth-form]");
  if (!form) return;
  var out = form.querySelector("[data-booth-total]");
  function rupiah(n) { return "Rp " + String(n).replace(/\B(?=(\d{3})+(?!\d))/g, "."); }
  function update() {
    var total = 0;
    form.querySelectorAll("input[data-price]").forEach(function (input) {
      var q = parseInt(input.value, 10);
      if (q > 0) total += q * parseInt(input.getAttribute("data-price"), 10);
    });
    out.textContent = rupiah(total);
  }
  form.addEventListener("input", update);
  update();
})();
