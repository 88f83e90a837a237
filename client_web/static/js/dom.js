// Building DOM nodes safely: every string becomes text (textContent), never HTML.

/**
 * Create an element. `props` sets properties and attributes; `children` are
 * nodes or strings (strings become text nodes, so user input is never parsed as HTML).
 *
 * Special props: `class` (string), `dataset` (object), `on` (object of event
 * listeners), `attrs` (object of attributes, e.g. aria-*), `text` (textContent).
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (name === "class") node.className = value;
    else if (name === "text") putText(node, String(value));
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (name === "attrs") {
      for (const [attr, attrValue] of Object.entries(value)) {
        if (attrValue !== undefined && attrValue !== null && attrValue !== false) {
          node.setAttribute(attr, attrValue === true ? "" : String(attrValue));
        }
      }
    } else if (name === "on") {
      for (const [event, listener] of Object.entries(value)) node.addEventListener(event, listener);
    } else node[name] = value;
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    if (child instanceof Node) node.append(child);
    else node.append(...textParts(String(child)));
  }
}

// User text that isolate() marked inside a sentence is drawn in a <bdi> of its own, so
// the page's text holds no marks and the user's text cannot reorder the sentence.
const ISOLATED = /\u2068([^\u2068\u2069]*)\u2069/g;

function textParts(value) {
  if (!value.includes("\u2068")) return [value];
  const parts = [];
  let last = 0;
  for (const match of value.matchAll(ISOLATED)) {
    if (match.index > last) parts.push(value.slice(last, match.index));
    const bdi = document.createElement("bdi");
    bdi.textContent = match[1];
    parts.push(bdi);
    last = match.index + match[0].length;
  }
  if (last < value.length) parts.push(value.slice(last));
  return parts;
}

function putText(node, value) {
  if (value.includes("\u2068")) node.replaceChildren(...textParts(value));
  else node.textContent = value;
}

/** Replace all children of `node`. */
export function replaceChildren(node, ...children) {
  node.replaceChildren();
  append(node, children);
}

/** The element with this id; throws early when a page and its script disagree. */
export function byId(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`page has no element #${id}`);
  return node;
}

/** Set text, avoiding DOM writes (and screen-reader chatter) when nothing changed. */
export function setText(node, text) {
  const value = String(text);
  if (node.textContent !== value.replace(ISOLATED, "$1")) putText(node, value);
}

/** Show or hide with the `hidden` attribute, which the CSS honours. */
export function show(node, visible = true) {
  node.hidden = !visible;
}

/** Save bytes or text as a file the user downloads. */
export function download(filename, content, type = "application/octet-stream") {
  const blob = content instanceof Blob ? content : new Blob([content], { type });
  const url = URL.createObjectURL(blob);
  const link = el("a", { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  // The click has already handed the URL to the download manager.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * User text (a name, a title, a reason) put into a sentence of the page, marked with the
 * first-strong isolate (U+2068) and pop directional isolate (U+2069). `el` and `setText`
 * draw each marked part as a `<bdi>` (where a string leaves the DOM, in a title or an
 * attribute, the marks isolate it by themselves). Right-to-left text, or a direction
 * override stored before the hub refused them, then stays in its own run and cannot
 * reorder the hub's text around it. Where user text is a node of its own, pages use
 * `<bdi>` or `dir="auto"`.
 */
export function isolate(text) {
  return `\u2068${text ?? ""}\u2069`;
}
