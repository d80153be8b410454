// /staff: sign-in against the login API, the staff chat with report rendering, sign-out,
// expiry, and the "my complaints" side panel. The token stays in sessionStorage (never a URL).
import { loadConfig } from "/static/js/config.js";
import { el } from "/static/js/render.js";
import { ChatWidget } from "/static/js/widget.js";

const AUTH_KEY = "crm-staff:auth";
const CHAT_KEY = "crm-staff";
const signInView = document.getElementById("sign-in");
const consoleView = document.getElementById("console");
const form = document.getElementById("sign-in-form");
const formError = document.getElementById("sign-in-error");
const identity = document.getElementById("identity");
const queueList = document.getElementById("queue-list");
const queueSelect = document.getElementById("queue-select");
let config = null;
let widget = null;
let expiryTimer = null;

function auth() {
  try {
    return JSON.parse(sessionStorage.getItem(AUTH_KEY) || "null");
  } catch {
    return null;
  }
}

function expired(current) {
  return !current || current.expires_at <= Date.now();
}

function forgetConversation() {
  widget?.connection.close();
  widget?.clear();
  widget = null;
  sessionStorage.removeItem(`${CHAT_KEY}:session`);
  sessionStorage.removeItem(`${CHAT_KEY}:history`);
  document.getElementById("chat-body").replaceChildren();
}

function showSignIn(message) {
  clearInterval(expiryTimer);
  sessionStorage.removeItem(AUTH_KEY);
  forgetConversation();
  consoleView.hidden = true;
  signInView.hidden = false;
  formError.textContent = message || "";
  formError.hidden = !message;
  document.getElementById("username").focus();
}

function checkExpiry() {
  if (expired(auth())) {
    showSignIn("Your sign-in has expired. Please sign in again.");
    return false;
  }
  return true;
}

function showConsole() {
  const current = auth();
  signInView.hidden = true;
  consoleView.hidden = false;
  identity.textContent = `${current.display_name} · ${current.department.replace("_", " ")}`;
  if (!widget) {
    widget = new ChatWidget(document.getElementById("chat-body"), config, {
      storageKey: CHAT_KEY,
      tables: true,
      getToken: () => auth()?.token ?? null,
      beforeSend: checkExpiry,
    });
  }
  clearInterval(expiryTimer);
  expiryTimer = setInterval(checkExpiry, 30000);
  widget.focus();
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const data = new FormData(form);
  formError.hidden = true;
  let response;
  try {
    response = await fetch("/api/v1/auth/staff/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: data.get("username"), password: data.get("password") }),
    });
  } catch {
    formError.textContent = "We're having trouble reaching the server. Please try again.";
    formError.hidden = false;
    return;
  }
  if (!response.ok) {
    formError.textContent =
      response.status === 401 ? "Wrong username or password." : "Sign-in failed. Please try again.";
    formError.hidden = false;
    return;
  }
  const body = await response.json();
  form.reset();
  forgetConversation(); // a new sign-in starts a new conversation
  sessionStorage.setItem(
    AUTH_KEY,
    JSON.stringify({
      token: body.access_token,
      expires_at: Date.now() + body.expires_in * 1000,
      username: body.staff.username,
      display_name: body.staff.display_name,
      department: body.staff.department,
    }),
  );
  showConsole();
});

document.getElementById("sign-out").addEventListener("click", () => showSignIn(""));

function queueRow(item) {
  const overdue = item.sla_state === "breached" || item.sla_state === "due_soon";
  return el(
    "li",
    { className: overdue ? "overdue" : "" },
    el("strong", {}, item.reference),
    ` ${item.category.replace("_", " ")} · ${item.status.replace("_", " ")} · ${item.priority}`,
    el("br"),
    el("small", {}, `due ${item.resolution_due_local}${overdue ? ` (${item.sla_state})` : ""}`),
  );
}

async function refreshQueue() {
  if (!checkExpiry()) return;
  queueList.replaceChildren(el("li", {}, "Loading…"));
  const queue = encodeURIComponent(queueSelect.value);
  try {
    const response = await fetch(`/api/v1/complaints?queue=${queue}&limit=20`, {
      headers: { Authorization: `Bearer ${auth().token}`, Accept: "application/json" },
    });
    if (response.status === 401) {
      showSignIn("Your sign-in has expired. Please sign in again.");
      return;
    }
    if (!response.ok) throw new Error(String(response.status));
    const body = await response.json();
    queueList.replaceChildren(
      ...(body.items.length ? body.items.map(queueRow) : [el("li", {}, "Nothing here.")]),
    );
  } catch {
    queueList.replaceChildren(el("li", {}, "We're having trouble loading the queue."));
  }
}

document.getElementById("queue-refresh").addEventListener("click", refreshQueue);

async function start() {
  try {
    config = await loadConfig();
  } catch {
    formError.textContent = "We're having trouble loading the console. Please reload the page.";
    formError.hidden = false;
    return;
  }
  if (expired(auth())) showSignIn(auth() ? "Your sign-in has expired. Please sign in again." : "");
  else showConsole();
  document.body.dataset.ready = "true";
}

start();
