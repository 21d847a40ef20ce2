// "Also being edited by": while the story's change form is open, tell the server every few seconds and show the
// other editors it answers with (articles.admin_editing.presence_view). Nothing breaks when the server cannot tell.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var region = document.getElementById("editing-presence");
  var form = document.getElementById("article_form");
  if (!region || !form) return;
  var url = region.dataset.url;
  var interval = (parseFloat(region.dataset.interval) || 20) * 1000;

  function token() {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function beat() {
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": token(), "X-Requested-With": "fetch" },
    })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (answer) {
        if (answer && !answer.unavailable && region.textContent !== answer.text) region.textContent = answer.text;
      })
      .catch(function () { /* offline for a moment: the next beat tries again */ });
  }

  beat();
  window.setInterval(beat, interval);
  window.addEventListener("pagehide", function () {
    var data = new FormData();
    data.append("csrfmiddlewaretoken", token());
    data.append("leave", "1");
    if (navigator.sendBeacon) navigator.sendBeacon(url, data);
  });
});
