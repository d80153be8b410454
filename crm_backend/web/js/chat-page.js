// /chat: a small demo shop with the chat widget and the development-only demo sign-in.
import { loadConfig } from "/static/js/config.js";
import { ChatWidget } from "/static/js/widget.js";

const TOKEN_KEY = "crm-chat:customer";
const launcher = document.getElementById("chat-launcher");
const panel = document.getElementById("chat-panel");
const closeButton = document.getElementById("chat-close");
const badge = document.getElementById("chat-unread");
const signIn = document.getElementById("demo-sign-in");
const signOut = document.getElementById("demo-sign-out");
const who = document.getElementById("demo-who");
let widget = null;
let unread = 0;

function customer() {
  try {
    const stored = JSON.parse(sessionStorage.getItem(TOKEN_KEY) || "null");
    if (stored && stored.expires_at > Date.now()) return stored;
  } catch {
    /* ignore a damaged entry */
  }
  sessionStorage.removeItem(TOKEN_KEY);
  return null;
}

function showCustomer() {
  const current = customer();
  who.textContent = current
    ? `Signed in as demo customer ${current.display_name} (${current.customer_no})`
    : "Not signed in: you can still chat and file a complaint.";
  signOut.hidden = !current;
  signIn.hidden = Boolean(current) || signIn.dataset.enabled !== "true";
}

function openPanel() {
  panel.hidden = false;
  launcher.setAttribute("aria-expanded", "true");
  unread = 0;
  badge.hidden = true;
  widget?.focus();
}

function closePanel() {
  panel.hidden = true;
  launcher.setAttribute("aria-expanded", "false");
  launcher.focus();
}

launcher.addEventListener("click", () => (panel.hidden ? openPanel() : closePanel()));
closeButton.addEventListener("click", closePanel);
panel.addEventListener("keydown", (event) => {
  if (event.key === "Escape") closePanel();
});

signIn.addEventListener("click", async () => {
  signIn.disabled = true;
  try {
    const response = await fetch("/api/v1/auth/demo/customer", { method: "POST" });
    if (!response.ok) throw new Error(String(response.status));
    const body = await response.json();
    sessionStorage.setItem(
      TOKEN_KEY,
      JSON.stringify({
        token: body.access_token,
        customer_no: body.customer_no,
        display_name: body.display_name,
        expires_at: Date.now() + body.expires_in * 1000,
      }),
    );
  } catch {
    who.textContent = "Demo sign-in is not available right now.";
  } finally {
    signIn.disabled = false;
  }
  showCustomer();
});

signOut.addEventListener("click", () => {
  sessionStorage.removeItem(TOKEN_KEY);
  widget?.restart(); // the next person starts a new conversation
  showCustomer();
});

async function start() {
  let config;
  try {
    config = await loadConfig();
  } catch {
    document.getElementById("chat-body").textContent =
      "We're having trouble loading the chat. Please reload the page.";
    return;
  }
  signIn.dataset.enabled = String(Boolean(config.demo_sign_in));
  showCustomer();
  widget = new ChatWidget(document.getElementById("chat-body"), config, {
    storageKey: "crm-chat",
    tables: false,
    getToken: () => customer()?.token ?? null,
    onIncoming: () => {
      if (panel.hidden) {
        unread += 1;
        badge.textContent = String(unread);
        badge.hidden = false;
      }
    },
  });
  document.body.dataset.ready = "true";
}

start();
