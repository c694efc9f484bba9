// Where the app is mounted and how it authenticates: every URL the app makes comes from here.

export type Theme = "light" | "dark";

export interface Context {
  /** The path the dashboard is served under ("" at the root), from the server's meta tag. */
  prefix: string;
  /** A run-scoped read token from the page URL (?token=nbrr_...), sent as a Bearer header. */
  token: string | null;
  embed: boolean;
  theme: Theme;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function readContext(doc: Document, location: Location): Context {
  const meta = doc.querySelector<HTMLMetaElement>('meta[name="nbrun-prefix"]');
  const params = new URLSearchParams(location.search);
  const token = params.get("token");
  const root = doc.documentElement;
  return {
    prefix: (meta?.content ?? "").replace(/\/+$/, ""),
    token: token && token.startsWith("nbrr_") ? token : null,
    embed: root.dataset["embed"] === "1",
    theme: root.dataset["theme"] === "dark" ? "dark" : "light",
  };
}

type Params = Record<string, string | number | undefined | null>;

function withQuery(path: string, params: Params): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null) {
      query.set(name, String(value));
    }
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

/** A URL on this server: `path` starts with "/" and is relative to the mount prefix. */
export function url(ctx: Context, path: string, params: Params = {}): string {
  return withQuery(ctx.prefix + path, params);
}

/** A URL the browser loads by itself (links, EventSource, <img>): carries the read token. */
export function tokenUrl(ctx: Context, path: string, params: Params = {}): string {
  return url(ctx, path, ctx.token ? { ...params, token: ctx.token } : params);
}

/** The page path below the prefix ("/" at the dashboard's home). */
export function pagePath(ctx: Context, location: Location): string {
  const path = location.pathname;
  const rest = path.startsWith(ctx.prefix) ? path.slice(ctx.prefix.length) : path;
  return rest.startsWith("/") ? rest : `/${rest}`;
}

/** GET (or POST) JSON from the API; throws HttpError with the server's message. */
export async function api<T>(ctx: Context, path: string, params: Params = {}, init: RequestInit = {}): Promise<T> {
  const headers = new Headers(init.headers);
  if (ctx.token) {
    headers.set("Authorization", `Bearer ${ctx.token}`);
  }
  const response = await fetch(url(ctx, path, params), {
    ...init,
    headers,
    credentials: "same-origin",
  });
  if (!response.ok) {
    let detail = response.statusText;
    try {
      const body = (await response.json()) as { detail?: unknown };
      detail = typeof body.detail === "string" ? body.detail : detail;
    } catch {
      // not JSON: keep the status text
    }
    throw new HttpError(response.status, detail);
  }
  if (response.status === 204) {
    return undefined as T;
  }
  return (await response.json()) as T;
}
