// Building DOM nodes: strings always become text nodes, so user data is escaped by
// construction. The only HTML the app inserts is DOMPurify's output (markdown.ts).

export type Child = Node | string | number | null | undefined | false;
export type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) {
      continue;
    }
    if (typeof value === "function") {
      element.addEventListener(name.replace(/^on/, ""), value);
    } else if (name === "href" || name === "src") {
      element.setAttribute(name, safeUrl(String(value)));
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(element, ...children);
  return element;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

/** Only same-origin paths and http(s) URLs become links (never javascript: or data:). */
export function safeUrl(value: string): string {
  try {
    const parsed = new URL(value, document.baseURI);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? value : "about:blank";
  } catch {
    return "about:blank"; // not a URL at all
  }
}
