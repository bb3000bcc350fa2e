/* Chat (#26): new messages appear without a reload. Every few seconds the page asks the JSON endpoint
   (data-poll) for messages after the last one shown and appends their bubbles (rendered and escaped by
   the server), then marks them read (data-read, a POST with the CSRF token). Without script the page
   still works: the form posts and the page reloads. */
(function () {
  "use strict";
  var chat = document.querySelector("[data-chat]");
  if (!chat || !window.fetch) { return; }
  var list = chat.querySelector(".messages");
  var last = Number(chat.getAttribute("data-last")) || 0;
  var busy = false;
  function markRead() {
    var body = new FormData();
    body.append("csrf_token", chat.getAttribute("data-csrf"));
    fetch(chat.getAttribute("data-read"), { method: "POST", body: body, credentials: "same-origin" });
  }
  function poll() {
    if (busy || document.hidden) { return; }
    busy = true;
    fetch(chat.getAttribute("data-poll") + "?after=" + last, { credentials: "same-origin" })
      .then(function (resp) { return resp.ok ? resp.json() : null; })
      .then(function (data) {
        busy = false;
        if (!data || !data.items.length) { return; }
        data.items.forEach(function (item) {
          if (document.getElementById("m" + item.id)) { return; }
          var box = document.createElement("template");
          box.innerHTML = item.html.trim();
          list.appendChild(box.content.firstChild);
        });
        last = data.last_id;
        list.lastElementChild.scrollIntoView({ block: "end" });
        markRead();
      }, function () { busy = false; });
  }
  if (list.lastElementChild) { list.lastElementChild.scrollIntoView({ block: "end" }); }
  markRead();
  window.setInterval(poll, 4000);
})();
