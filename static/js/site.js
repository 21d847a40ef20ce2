// Small enhancements; every feature they touch also works without JavaScript. Their words come from the page's
// JavaScript catalogue (gettext, loaded before this script by base.html).
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("[data-copy-link]")) {
    if (!navigator.clipboard) continue;
    button.hidden = false;
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(button.dataset.copyLink);
        button.textContent = gettext("Link copied");
      } catch {
        button.textContent = gettext("Copy failed");
      }
    });
  }
  // An embedded video is a link card until the reader asks to play it here: only then does the player load.
  for (const button of document.querySelectorAll(".embed__play[data-player]")) {
    button.hidden = false;
    button.nextElementSibling.hidden = false;
    button.addEventListener("click", () => {
      const frame = document.createElement("iframe");
      frame.src = button.dataset.player;
      frame.title = button.dataset.title;
      frame.allow = "autoplay; fullscreen; picture-in-picture";
      frame.allowFullscreen = true;
      frame.className = "embed__frame";
      const card = button.closest(".embed__card");
      card.replaceWith(frame);
      frame.focus();
    });
  }
});
