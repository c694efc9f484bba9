// Run notes: Markdown with $$...$$ LaTeX (KaTeX), sanitised by DOMPurify before it is shown.

import DOMPurify from "dompurify";
import katex from "katex";
import MarkdownIt from "markdown-it";

const md = new MarkdownIt({ html: false, linkify: false, typographer: false });

// "$$ x^2 $$" anywhere in a paragraph becomes display math.
md.inline.ruler.before("escape", "math", (state, silent) => {
  const start = state.pos;
  if (!state.src.startsWith("$$", start)) {
    return false;
  }
  const end = state.src.indexOf("$$", start + 2);
  if (end < 0) {
    return false;
  }
  if (!silent) {
    state.push("math", "", 0).content = state.src.slice(start + 2, end);
  }
  state.pos = end + 2;
  return true;
});

md.renderer.rules["math"] = (tokens, index) =>
  katex.renderToString(tokens[index]?.content ?? "", {
    displayMode: true,
    throwOnError: false,
    output: "htmlAndMathml",
    trust: false,
  });

DOMPurify.addHook("afterSanitizeAttributes", (node) => {
  if (node instanceof HTMLAnchorElement) {
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer");
  }
});

/** The sanitised HTML of `source`; the one place the app sets innerHTML. */
export function renderMarkdown(source: string): HTMLDivElement {
  const div = document.createElement("div");
  div.className = "markdown";
  div.innerHTML = DOMPurify.sanitize(md.render(source), {
    USE_PROFILES: { html: true, mathMl: true },
    FORBID_TAGS: ["style", "form", "input", "iframe"],
  });
  return div;
}
