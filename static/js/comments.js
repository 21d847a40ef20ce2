// Discussion enhancements; posting, replying and "Show more comments" all work without this script. Words and
// numbers in the page's language: gettext from its JavaScript catalogue (base.html), numbers as <html lang> says.
(() => {
  const number = (n) => n.toLocaleString(document.documentElement.lang || undefined);

  const counters = (root) => {
    for (const area of root.querySelectorAll("textarea[data-counter]")) {
      if (area.dataset.counted) continue;
      area.dataset.counted = "1";
      const output = document.createElement("p");
      output.className = "counter";
      output.setAttribute("aria-live", "polite");
      const max = Number(area.dataset.counter);
      const update = () => {
        // Characters as the server counts them: code points (not UTF-16 units), outer blank space trimmed.
        const length = [...area.value.trim()].length;
        const over = length - max;
        output.textContent = interpolate(gettext("%(length)s / %(max)s characters"), { length: number(length), max: number(max) }, true)
          + (over > 0 ? interpolate(gettext(": %(over)s too many"), { over: number(over) }, true) : "");
        output.classList.toggle("counter--over", over > 0);
      };
      area.addEventListener("input", update);
      area.after(output);
      update();
    }
  };

  const openReply = (link) => {
    const item = link.closest("li");
    const main = document.getElementById("comment-form");
    if (!item || !main) return false;
    item.querySelector(".reply-inline")?.remove();
    // The copy keeps the page form's one-time token on purpose: the server tells its posts apart by parent and
    // text (comments.services), and a retry of this reply stays one reply.
    const form = main.cloneNode(true);
    form.removeAttribute("id");
    form.classList.add("reply-inline");
    form.querySelector("input[name=parent]").value = link.dataset.replyTo;
    const area = form.querySelector("textarea");
    area.id = `reply-to-${link.dataset.replyTo}`;
    area.value = "";
    form.querySelector("label").htmlFor = area.id;
    form.querySelector("label").textContent = gettext("Your reply");
    form.querySelector(".counter")?.remove();
    delete area.dataset.counted;
    form.querySelector("button[type=submit]").textContent = gettext("Post reply");
    item.append(form);
    counters(form);
    area.focus();
    return true;
  };

  const showMore = async (link) => {
    const list = document.querySelector("[data-comment-list]");
    const response = await fetch(link.dataset.moreUrl, { headers: { "X-Requested-With": "fetch" } });
    if (!response.ok) throw new Error(String(response.status));
    // The answer is the next page of threads as the story page shows it: its comments, and its own next link.
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const added = [...page.querySelectorAll("[data-comment-list] > li")];
    list.append(...added);
    // Keyboard and screen-reader users continue from the first new comment (the link may be about to go).
    if (added[0]) {
      added[0].tabIndex = -1;
      added[0].focus();
    }
    // The pages now shown, in place of "Page 2 of 5": "Pages 2–3 of 5".
    const label = link.closest("nav")?.querySelector("[data-page-label]");
    const shown = Number(new URL(link.dataset.moreUrl, location.href).searchParams.get("page"));
    if (label && shown) {
      label.textContent = interpolate(gettext("Pages %(first)s–%(last)s of %(pages)s"),
        { first: label.dataset.page, last: shown, pages: label.dataset.pages }, true);
    }
    const next = page.querySelector("a[data-more-url]");
    if (next) {
      link.dataset.moreUrl = next.dataset.moreUrl;
      link.href = next.getAttribute("href");
    } else {
      link.remove();
    }
  };

  // A permalink's comment is highlighted by :target in the stylesheet; aria-current tells assistive technology too.
  const markTarget = () => {
    for (const old of document.querySelectorAll(".comment[aria-current]")) old.removeAttribute("aria-current");
    const target = location.hash.length > 1 && document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (target && target.classList.contains("comment")) target.setAttribute("aria-current", "true");
  };

  document.addEventListener("DOMContentLoaded", () => {
    counters(document);
    markTarget();
    window.addEventListener("hashchange", markTarget);
    document.addEventListener("click", (event) => {
      const reply = event.target.closest("[data-reply-to]");
      if (reply && openReply(reply)) event.preventDefault();
      const more = event.target.closest("[data-more-url]");
      if (more) {
        event.preventDefault();
        showMore(more).catch(() => { window.location.href = more.href; });
      }
    });
  });
})();
