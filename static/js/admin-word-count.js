/* The story editor's live word count and reading time, under the Body tab: "612 words · 3 min read".
 *
 * It counts the words of the text, subheading, quote and list blocks (the story's own words; pictures, MORE links
 * and embeds are not read as text), from what each field will submit: a prose editor's hidden textarea, which it
 * rewrites on every change and announces with an input event, and the plain inputs. Blocks marked for deletion do
 * not count. The reading speed is the server's (articles.body.WORDS_PER_MINUTE, given on this script's
 * data-words-per-minute), so the editor and the site can never disagree on it.
 */
(() => {
  const wordsPerMinute = Number(document.currentScript.dataset.wordsPerMinute);
  const COUNTED = ".order-machine :is([id^='articles_textblock_set-'], [id^='articles_headingblock_set-'], " +
    "[id^='articles_quoteblock_set-'], [id^='articles_listblock_set-']):not(.empty-form, .for-deletion)";
  // A textarea decodes the entities of the markup put in it, and runs nothing: it holds text, not elements.
  const decoder = document.createElement("textarea");

  // As articles.body reads cleaned markup: paragraphs, list items and line breaks end words, tags go.
  function words(markup) {
    decoder.innerHTML = markup.replace(/<\/(p|li)>|<br\s*\/?>/g, "\n").replace(/<[^>]+>/g, "");
    return decoder.value.split(/\s+/).filter(Boolean).length;
  }

  function count() {
    let total = 0;
    for (const block of document.querySelectorAll(COUNTED)) {
      for (const field of block.querySelectorAll("textarea, input[type=text]")) {
        total += field.tagName === "TEXTAREA" ? words(field.value) : field.value.split(/\s+/).filter(Boolean).length;
      }
    }
    return total;
  }

  let output = null;

  function update() {
    if (!output) return;
    const total = count();
    // Words from the form's JavaScript catalogue (templates/admin/articles/article/change_form.html).
    const label = interpolate(ngettext("%s word", "%s words", total), [total]);
    const minutes = Math.max(1, Math.ceil(total / wordsPerMinute));
    output.textContent = total ? interpolate(gettext("%(words)s · %(minutes)s min read"), { words: label, minutes }, true) : label;
  }

  // Once content-editor has built the Body region (its tabs and the ordered blocks).
  function setUp() {
    const tabs = document.querySelector(".tabs.regions");
    if (output || !tabs) return;
    // Not a live region: a screen reader would read it out at every keystroke. It is there to be looked at.
    output = document.createElement("p");
    output.className = "body-word-count";
    output.id = "body-word-count";
    tabs.after(output);
    update();
  }

  document.addEventListener("content-editor:ready", setUp);
  document.addEventListener("DOMContentLoaded", setUp);
  // Typing, a delete box ticked (content-editor marks its block on the click, before the change), a block added or
  // removed.
  for (const event of ["input", "change", "formset:added", "formset:removed"]) {
    document.addEventListener(event, update);
  }
})();
