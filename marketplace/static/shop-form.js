/* Progressive enhancement for the shop form: show only the chosen city's kelurahan.
   Without this script the kelurahan select lists every city's kelurahan in one <optgroup> per city
   (labelled with the city), and the server checks the pair. With it, the other cities' groups are
   taken out of the select (hiding an <optgroup> is not honoured by every browser), and a kelurahan
   from another city is cleared when the city changes. */
(function () {
  "use strict";
  document.querySelectorAll("form[data-places]").forEach(function (form) {
    var city = form.querySelector("select[name=city]");
    var kelurahan = form.querySelector("select[name=kelurahan]");
    if (!city || !kelurahan) { return; }
    var groups = Array.prototype.slice.call(kelurahan.querySelectorAll("optgroup"));
    function update() {
      var chosen = kelurahan.value;
      groups.forEach(function (group) {
        var show = !city.value || group.label === city.value;
        if (show) { kelurahan.appendChild(group); }  /* (re)appended in the server's order */
        else if (group.parentNode === kelurahan) { kelurahan.removeChild(group); }
      });
      kelurahan.value = chosen;
      if (kelurahan.value !== chosen) { kelurahan.value = ""; }
    }
    city.addEventListener("change", update);
    update();
  });
})();
