// Autosave: the story form's fields are kept in this browser's localStorage as they are typed (keyed by the story's
// id, or "new"), so a closed tab or a crashed browser loses nothing; on opening the form again, a draft that
// differs from what the server sent is offered back: "Unsaved changes from HH:MM — Restore / Discard". A successful
// save (the admin's success message on the next page) clears it.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var PREFIX = "newsroom-autosave:";
  var PENDING = "newsroom-autosave-pending";
  var store;
  try {
    store = window.localStorage;
    store.getItem(PREFIX);
  } catch (error) {
    return; // storage refused (private mode, a policy): the form works as before
  }

  // After a save: the admin's success message means the draft that was submitted is stored on the server.
  var pending = window.sessionStorage.getItem(PENDING);
  if (pending && document.querySelector(".messagelist .success")) store.removeItem(PREFIX + pending);
  window.sessionStorage.removeItem(PENDING);

  window.addEventListener("load", watch);
});

// After every script of the page (the rich-text editors rewrite their textareas as they start): what the server
// sent is read then.
function watch() {
  "use strict";
  var PREFIX = "newsroom-autosave:";
  var PENDING = "newsroom-autosave-pending";
  var store = window.localStorage;
  var prompt = document.getElementById("autosave-prompt");
  var form = document.getElementById("article_form");
  if (!prompt || !form) return;
  var key = PREFIX + prompt.dataset.key;
  var SKIP = ["csrfmiddlewaretoken", "loaded_edit_version"];

  function fields() {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && SKIP.indexOf(el.name) < 0 && el.name.indexOf("__prefix__") < 0 &&
        ["file", "submit", "button", "reset"].indexOf(el.type) < 0;
    });
  }

  function read() {
    var values = {};
    fields().forEach(function (el) {
      if (el.type === "checkbox" || el.type === "radio") {
        if (el.type === "checkbox") values[el.name] = el.checked;
        else if (el.checked) values[el.name] = el.value;
      } else if (el.multiple) {
        values[el.name] = Array.prototype.filter.call(el.options, function (o) { return o.selected; })
          .map(function (o) { return o.value; });
      } else {
        values[el.name] = el.value;
      }
    });
    return values;
  }

  function write(values) {
    fields().forEach(function (el) {
      if (!(el.name in values)) return;
      var value = values[el.name];
      if (el.type === "checkbox") el.checked = !!value;
      else if (el.type === "radio") el.checked = el.value === value;
      else if (el.multiple) {
        Array.prototype.forEach.call(el.options, function (o) { o.selected = value.indexOf(o.value) >= 0; });
      } else if (el.tagName === "SELECT" && !Array.prototype.some.call(el.options, function (o) { return o.value === value; })) {
        // An autocomplete's chosen option is fetched when chosen: bring back the value only if it can be shown.
        return;
      } else {
        el.value = value;
      }
      el.dispatchEvent(new Event("input", { bubbles: true }));
      el.dispatchEvent(new Event("change", { bubbles: true }));
    });
  }

  var server = JSON.stringify(read());
  var saved = null;
  try {
    saved = JSON.parse(store.getItem(key) || "null");
  } catch (error) {
    store.removeItem(key);
  }

  function keep() {
    var values = JSON.stringify(read());
    try {
      if (values === server) store.removeItem(key);
      else store.setItem(key, JSON.stringify({ at: Date.now(), version: prompt.dataset.version, values: JSON.parse(values) }));
    } catch (error) { /* storage full: keep typing, the server has the last save */ }
  }

  function button(label, onclick) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "button";
    b.textContent = label;
    b.addEventListener("click", onclick);
    return b;
  }

  var started = false;
  function start() {
    if (started) return;
    started = true;
    var timer = null;
    var typed = false; // until then the offered draft stays as it is
    form.addEventListener("input", function () {
      typed = true;
      window.clearTimeout(timer);
      timer = window.setTimeout(keep, 500);
    });
    form.addEventListener("change", function () {
      typed = true;
      keep();
    });
    window.setInterval(function () {
      if (typed) keep();
    }, 5000);
  }

  if (saved && saved.values && JSON.stringify(saved.values) !== server) {
    var at = new Date(saved.at);
    var hhmm = ("0" + at.getHours()).slice(-2) + ":" + ("0" + at.getMinutes()).slice(-2);
    var text = document.createElement("p");
    // Words from the form's JavaScript catalogue (templates/admin/articles/article/change_form.html).
    text.textContent = interpolate(saved.version !== prompt.dataset.version
      ? gettext("Unsaved changes from %s (made on an earlier version of the story: restoring replaces what was saved since).")
      : gettext("Unsaved changes from %s."), [hhmm]);
    prompt.append(text, button(gettext("Restore"), function () {
      write(saved.values);
      prompt.hidden = true;
      keep();
    }), " ", button(gettext("Discard"), function () {
      store.removeItem(key);
      prompt.hidden = true;
    }));
    prompt.setAttribute("role", "alert");
    prompt.hidden = false;
  }
  // Typing while the offer stands keeps the new draft (Restore still brings back the one offered).
  start();

  form.addEventListener("submit", function () {
    keep();
    window.sessionStorage.setItem(PENDING, prompt.dataset.key);
  });
}
