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
    else if (name === "text") node.textContent = String(value);
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
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
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
  if (node.textContent !== value) node.textContent = value;
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
 * User text (a name, a title, a reason) inside a sentence of the page, isolated as `<bdi>`
 * does: first-strong isolate (U+2068) ... pop directional isolate (U+2069). Right-to-left
 * text, or a direction override stored before the hub refused them, then stays inside its
 * own run and cannot reorder the hub's text around it. Where user text is a node of its
 * own, pages use `<bdi>` or `dir="auto"` instead.
 */
export function isolate(text) {
  return `\u2068${text ?? ""}\u2069`;
}
