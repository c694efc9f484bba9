// Sign in: exchange the server's token or an API key for a session cookie (reads only).
// "/login#token=..." signs in at once: a fragment never reaches the server's logs.

import type { Context } from "../context";
import { HttpError, api, url } from "../context";
import { h, replaceChildren } from "../dom";
import { frame } from "../frame";

/** Where to go after signing in: a path on this server, never another site. */
function nextPath(ctx: Context): string {
  const next = new URLSearchParams(window.location.search).get("next");
  if (next) {
    const target = new URL(next, window.location.origin); // "/\\evil.org" is another site too
    if (target.origin === window.location.origin && next.startsWith("/")) {
      return target.pathname + target.search;
    }
  }
  return url(ctx, "/");
}

export function loginPage(ctx: Context, root: HTMLElement): void {
  const main = frame(ctx, root, [["Sign in", null]]);
  const input = h("input", {
    type: "password",
    name: "token",
    autocomplete: "current-password",
    placeholder: "server token or API key",
    "aria-label": "token",
    required: true,
  });
  const status = h("p", { class: "status", role: "status" });
  const submit = async (token: string): Promise<void> => {
    status.textContent = "Signing in…";
    try {
      await api<void>(
        ctx,
        "/login",
        {},
        {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ token }),
        },
      );
      window.location.replace(nextPath(ctx));
    } catch (error) {
      status.textContent = error instanceof HttpError ? `Not signed in: ${error.message}` : String(error);
      status.className = "status error";
    }
  };
  const form = h(
    "form",
    { class: "login" },
    h("h1", {}, "Sign in to nbrun"),
    h(
      "p",
      {},
      "Paste the server's token (",
      h("code", {}, "nbrun server status"),
      " prints a sign-in link) or an API key.",
    ),
    input,
    h("button", { type: "submit", class: "button" }, "Sign in"),
    status,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void submit(input.value.trim());
  });
  replaceChildren(main, form);
  const fromHash = new URLSearchParams(window.location.hash.slice(1)).get("token");
  if (fromHash) {
    history.replaceState(null, "", window.location.pathname + window.location.search);
    void submit(fromHash);
  }
}
