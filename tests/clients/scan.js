// Everything in the document that could run script, or shows that a payload escaped its text.
(() => {
  const found = [];
  const where = (el) => el.closest("li[id^='comment-']")?.id || el.tagName.toLowerCase();
  const note = (el, what) => found.push({ where: where(el), what: what.slice(0, 120) });
  const urlAttributes = new Set(["href", "src", "action", "formaction", "xlink:href", "data", "srcdoc", "background",
    "poster", "codebase", "lowsrc", "dynsrc", "ping", "srcset", "cite", "longdesc", "manifest", "icon", "usemap"]);
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      const value = attr.value.replace(/[\u0000-\u0020\u007f-\u009f]/g, "").toLowerCase();
      if (name.startsWith("on")) note(el, `${name}=${attr.value}`);
      else if (urlAttributes.has(name) && /^(javascript|vbscript|data):/.test(value)) note(el, `${name}=${attr.value}`);
    }
  }
  const embedders = "iframe, frame, object, embed, base, applet, meta[http-equiv], link[rel~='import']";
  for (const el of document.querySelectorAll(embedders)) note(el, el.outerHTML);
  for (const script of document.scripts) {
    const url = script.src && new URL(script.src);
    const ours = url && url.origin === location.origin && (url.pathname.startsWith("/static/") || /^\/jsi18n\/[a-z-]+\.js$/.test(url.pathname));
    if (!ours && script.type !== "application/ld+json") note(script, script.outerHTML);
  }
  for (const el of document.querySelectorAll(".comment__body *, .comment__name *")) {
    if (!["P", "BR", "A"].includes(el.tagName)) note(el, `<${el.tagName.toLowerCase()}> in a comment`);
  }
  for (const link of document.querySelectorAll(".comment__body a")) {
    if (!/^(https?:\/\/|\/)/.test(link.getAttribute("href") || "")) note(link, `href=${link.getAttribute("href")}`);
  }
  const globals = Object.getOwnPropertyNames(window).filter((name) => !window.__probe.globals.includes(name));
  return { found, globals, calls: window.__probe.calls, violations: window.__probe.violations };
})
