// Builds message bubbles with DOM methods only: bot and user text is always text
// (textContent), never parsed as HTML. Only http(s) links become clickable.
const URL_PATTERN = /\bhttps?:\/\/[^\s<>"']+/g;
const TABLE_TAIL = /^(\.\.\. and [\d,]+ more rows.*|\(no rows\))$/;

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "className") node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

export function safeHttpUrl(value, base = window.location.href) {
  try {
    const url = new URL(String(value), base);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

function trimUrl(raw) {
  // A sentence's closing punctuation is not part of the link.
  const match = raw.match(/[.,;:!?)]+$/);
  return match ? [raw.slice(0, -match[0].length), match[0]] : [raw, ""];
}

// Text with its http(s) links as anchors; everything else as text nodes.
export function linkified(text) {
  const fragment = document.createDocumentFragment();
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const [urlText, trailing] = trimUrl(match[0]);
    const href = safeHttpUrl(urlText);
    fragment.append(document.createTextNode(text.slice(last, match.index)));
    if (href) {
      const link = el("a", { href, target: "_blank", rel: "noopener noreferrer" }, urlText);
      fragment.append(link);
    } else {
      fragment.append(document.createTextNode(urlText));
    }
    fragment.append(document.createTextNode(trailing));
    last = match.index + match[0].length;
  }
  fragment.append(document.createTextNode(text.slice(last)));
  return fragment;
}

// "A | B\n1 | 2\n..." (the staff report table) as rows of cells, else null.
export function tableRows(text) {
  const lines = text.split("\n").filter((line) => line.trim() !== "");
  const body = lines.filter((line) => !TABLE_TAIL.test(line.trim()));
  if (body.length < 2 || !body[0].includes(" | ")) return null;
  const rows = body.map((line) => line.split(" | ").map((cell) => cell.trim()));
  const width = rows[0].length;
  if (width < 2 || rows.some((row) => row.length !== width)) return null;
  return { header: rows[0], rows: rows.slice(1), notes: lines.filter((l) => TABLE_TAIL.test(l.trim())) };
}

export function tableElement({ header, rows, notes }) {
  const numeric = /^[-+]?(HK\$|\$)?[\d,]+(\.\d+)?%?$/;
  const table = el("table", { className: "report-table" });
  const headRow = el("tr");
  for (const cell of header) headRow.append(el("th", { scope: "col" }, cell));
  table.append(el("thead", {}, headRow));
  const tbody = el("tbody");
  for (const row of rows) {
    const tr = el("tr");
    for (const cell of row) {
      tr.append(el("td", numeric.test(cell) ? { className: "num" } : {}, cell));
    }
    tbody.append(tr);
  }
  table.append(tbody);
  const wrap = el("div", { className: "table-wrap" }, table);
  for (const note of notes) wrap.append(el("p", { className: "table-note" }, note));
  return wrap;
}

function timeLabel(date) {
  return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

// One bubble. message: {who: "bot"|"user", text?, image?, at: ms, tables?: bool}
export function bubble(message, { tables = false } = {}) {
  const at = new Date(message.at || Date.now());
  const body = el("div", { className: "body" });
  if (message.text) {
    const table = tables ? tableRows(message.text) : null;
    if (table) body.append(tableElement(table));
    else body.append(el("p", { className: "text" }, linkified(message.text)));
  }
  if (message.image) {
    const src = safeHttpUrl(message.image);
    if (src) {
      body.append(el("img", { src, alt: message.alt || "Chart", className: "chart", loading: "lazy" }));
    }
  }
  const who = message.who === "user" ? "You" : "Assistant";
  return el(
    "li",
    { className: `msg ${message.who}` },
    el("span", { className: "visually-hidden" }, `${who}: `),
    body,
    el("time", { datetime: at.toISOString() }, timeLabel(at)),
  );
}

// Quick replies as buttons; onPick(title, payload).
export function quickReplies(buttons, onPick) {
  const group = el("div", { className: "quick-replies", role: "group", "aria-label": "Suggested answers" });
  for (const button of buttons) {
    const title = String(button.title ?? "");
    const payload = String(button.payload ?? title);
    const node = el("button", { type: "button", className: "quick-reply" }, title);
    node.addEventListener("click", () => onPick(title, payload, group));
    group.append(node);
  }
  return group;
}

// Rasa's socket.io bot_uttered payload as our message shape.
export function fromRasa(payload) {
  const message = { who: "bot", at: Date.now() };
  if (typeof payload.text === "string") message.text = payload.text;
  const attachment = payload.attachment;
  if (attachment && attachment.type === "image" && attachment.payload) {
    message.image = attachment.payload.src;
  }
  const buttons = payload.quick_replies || payload.buttons || [];
  if (Array.isArray(buttons) && buttons.length) message.buttons = buttons;
  return message;
}
