// Live "N new comments" / "N new updates" for any container with data-live-* attributes (docs/architecture.md,
// "Live updates"): polls a small count that edges cache, and offers a button. Nothing on the page moves until the
// reader asks: the button sits in a bar of no height, and items go in only on a click. Without it, nothing changes.
// Its words come from the page's JavaScript catalogue (base.html): gettext, ngettext, interpolate.
(() => {
  const IDLE = 5 * 60 * 1000; // no input for this long: poll four times less often
  let lastInput = Date.now();
  for (const name of ["pointerdown", "keydown", "scroll", "touchstart"]) {
    addEventListener(name, () => { lastInput = Date.now(); }, { passive: true, capture: true });
  }
  const indentOf = (item) => Number((/\bindent-(\d+)/.exec(item.className) || [0, 0])[1]);
  // What a list holds (its data-live-noun), each in the words a language needs: "3 new comments", "many new replies".
  const NOUNS = {
    comment: {
      count: (n) => ngettext("%s new comment", "%s new comments", n),
      many: () => gettext("Many new comments: refresh the page"),
    },
    reply: {
      count: (n) => ngettext("%s new reply", "%s new replies", n),
      many: () => gettext("Many new replies: refresh the page"),
    },
    update: {
      count: (n) => ngettext("%s new update", "%s new updates", n),
      many: () => gettext("Many new updates: refresh the page"),
    },
  };

  const start = (box, index) => {
    const data = box.dataset;
    const list = box.querySelector(data.liveList);
    // A page with two live lists (a live blog and its discussion) includes the script twice: one poller a list.
    if (!list || data.livePolling) return;
    data.livePolling = "1";
    list.id ||= `live-list-${index}`;
    const until = data.liveUntil ? Date.parse(data.liveUntil) : Infinity;
    const base = Math.max(Number(data.liveInterval) || 15, 1) * 1000;
    const noun = NOUNS[data.liveNoun] || NOUNS.comment;
    const newest = data.liveOrder === "newest";
    const words = (n) => interpolate(noun.count(n), [n]);
    const address = (template) => template.replace("{version}", data.liveVersion);

    const bar = document.createElement("div");
    bar.className = "live";
    const button = document.createElement("button");
    button.type = "button";
    button.className = "live__button";
    button.hidden = true;
    button.setAttribute("aria-controls", list.id);
    const status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status"); // a polite live region
    bar.append(button, status);
    box.append(bar);

    let timer = 0;
    let stopped = false;
    let refresh = false;
    const stop = () => { stopped = true; clearTimeout(timer); };
    const schedule = (ms) => {
      clearTimeout(timer);
      if (!stopped && !document.hidden) timer = setTimeout(poll, ms);
    };
    const next = () => schedule(Date.now() - lastInput > IDLE ? base * 4 : base);
    const offer = (text) => {
      button.textContent = text;
      button.hidden = false;
    };
    const askRefresh = (text) => {
      stop();
      refresh = true;
      offer(text);
    };

    const poll = async () => {
      if (Date.now() > until) return stop();
      try {
        // Without cookies: the answer is the same for everyone, and so the edge serves signed-in readers too.
        const response = await fetch(address(data.liveSince), { credentials: "omit" });
        if (response.status === 404) return stop();
        const answer = await response.json();
        if (answer.refresh) return askRefresh(gettext("This page is out of date: refresh the page"));
        if (!response.ok) throw new Error(String(response.status));
        if (answer.many) return askRefresh(noun.many());
        if (answer.new > 0) {
          offer(interpolate(gettext("Show %s"), [words(answer.new)]));
        } else {
          // Nothing new to show (likes, edits, removals move the version too): count from the current version,
          // whose address more readers share at the edge.
          button.hidden = true;
          if (answer.version > Number(data.liveVersion)) data.liveVersion = String(answer.version);
        }
        next();
      } catch {
        schedule(base * 4); // offline or the site in trouble: try again later, less often
      }
    };

    // A reply goes under its parent when the page shows it; the rest where the list's order puts new items, when
    // the reader is on that end of it, else behind a link to the page that shows them.
    const place = (items) => {
      const shown = [];
      const loose = [];
      for (const item of items) {
        const parent = item.dataset.parent && list.querySelector(`#comment-${item.dataset.parent}`);
        if (!parent) {
          loose.push(item);
          continue;
        }
        const depth = indentOf(parent);
        item.className = item.className.replace(/\bindent-\d+/, `indent-${Math.min(depth + 1, 6)}`);
        let last = parent;
        while (last.nextElementSibling && indentOf(last.nextElementSibling) > depth
          && !last.nextElementSibling.classList.contains("comment--more")) last = last.nextElementSibling;
        last.after(item);
        shown.push(item);
      }
      const atEnd = !box.querySelector(newest ? "a[rel=prev]" : "a[rel=next]");
      if (loose.length && atEnd) {
        if (newest) list.prepend(...loose.reverse());
        else list.append(...loose);
        shown.push(...loose);
      } else if (loose.length) {
        const link = document.createElement("a");
        link.className = "live__button";
        link.href = data.liveMore || location.href;
        link.textContent = interpolate(gettext("%s: see them"), [words(loose.length)]);
        bar.append(link);
        shown.push(link);
      }
      return shown;
    };

    const show = async () => {
      if (refresh) return location.reload();
      button.disabled = true;
      try {
        const response = await fetch(address(data.liveNew));
        if (!response.ok) throw new Error(String(response.status));
        const page = new DOMParser().parseFromString(await response.text(), "text/html");
        // An item the page already shows (it was rendered a moment after its version) is not shown twice.
        const items = [...page.body.children].filter((el) => el.id && !document.getElementById(el.id));
        data.liveVersion = response.headers.get("X-Live-Version") || data.liveVersion;
        button.hidden = true;
        bar.querySelector("a.live__button")?.remove();
        const shown = place(items);
        for (const item of shown) {
          if (item.tagName === "LI") {
            item.classList.add("is-new");
            item.tabIndex = -1;
          }
        }
        shown[0]?.focus();
        const added = shown.filter((item) => item.tagName === "LI").length;
        const link = shown.find((item) => item.tagName === "A");
        status.textContent = [added && interpolate(gettext("%s shown"), [words(added)]), link?.textContent]
          .filter(Boolean).join(". ");
      } catch {
        offer(gettext("They could not be loaded: try again"));
      }
      button.disabled = false;
      next();
    };

    button.addEventListener("click", show);
    document.addEventListener("visibilitychange", () => {
      if (document.hidden) clearTimeout(timer);
      else schedule(0); // back on the tab: ask at once
    });
    next();
  };

  document.querySelectorAll("[data-live-since]").forEach(start);
})();
