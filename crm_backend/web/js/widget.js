// The chat widget: message list (aria-live), typing indicator, friendly error line, input and
// send. Used by the customer page and the staff console.
import { RasaConnection } from "/static/js/connection.js";
import { bubble, el, fromRasa, quickReplies } from "/static/js/render.js";

const HISTORY_LIMIT = 150;
const TYPING_TIMEOUT_MS = 45000;

export class ChatWidget {
  // config: {rasa_url, socket_path}; options: {storageKey, tables, getToken, title}
  constructor(container, config, options) {
    this.container = container;
    this.options = options;
    this.historyKey = `${options.storageKey}:history`;
    this.history = this.loadHistory();
    this.build();
    for (const message of this.history) this.show(message, { store: false, last: false });
    this.showButtonsOfLast();
    this.connection = new RasaConnection({
      rasaUrl: config.rasa_url,
      socketPath: config.socket_path,
      sessionKey: `${options.storageKey}:session`,
      getToken: options.getToken,
      handlers: {
        onMessage: (payload) => this.receive(payload),
        onStatus: (status) => this.status(status),
      },
    });
  }

  build() {
    this.list = el("ol", {
      className: "messages",
      role: "log",
      "aria-live": "polite",
      "aria-relevant": "additions",
      "aria-label": "Conversation",
      tabindex: "0",
    });
    this.typing = el(
      "div",
      { className: "typing", hidden: "", "aria-hidden": "true" },
      el("span"), el("span"), el("span"),
    );
    this.typingLabel = el("span", { className: "visually-hidden", role: "status" });
    this.errorLine = el("p", { className: "error-line", role: "alert", hidden: "" });
    this.input = el("input", {
      type: "text",
      id: `${this.options.storageKey}-input`,
      name: "message",
      autocomplete: "off",
      maxlength: "5000",
      placeholder: "Type your message…",
    });
    const label = el("label", { for: this.input.id, className: "visually-hidden" }, "Your message");
    this.sendButton = el("button", { type: "submit", className: "send" }, "Send");
    this.form = el("form", { className: "composer" }, label, this.input, this.sendButton);
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    this.container.append(this.list, this.typing, this.typingLabel, this.errorLine, this.form);
  }

  loadHistory() {
    try {
      const stored = JSON.parse(sessionStorage.getItem(this.historyKey) || "[]");
      return Array.isArray(stored) ? stored.slice(-HISTORY_LIMIT) : [];
    } catch {
      return [];
    }
  }

  saveHistory() {
    this.history = this.history.slice(-HISTORY_LIMIT);
    sessionStorage.setItem(this.historyKey, JSON.stringify(this.history));
  }

  clear() {
    this.history = [];
    sessionStorage.removeItem(this.historyKey);
    this.list.replaceChildren();
  }

  restart() {
    this.clear();
    this.connection.restart();
  }

  focus() {
    this.input.focus();
  }

  show(message, { store = true, last = true } = {}) {
    this.list.append(bubble(message, { tables: Boolean(this.options.tables) }));
    if (store) {
      this.history.push(message);
      this.saveHistory();
    }
    if (last && message.buttons) this.addButtons(message.buttons);
    this.list.scrollTop = this.list.scrollHeight;
  }

  showButtonsOfLast() {
    const last = this.history[this.history.length - 1];
    if (last && last.who === "bot" && last.buttons) this.addButtons(last.buttons);
  }

  addButtons(buttons) {
    for (const old of this.list.querySelectorAll(".quick-replies")) old.remove();
    const group = quickReplies(buttons, (title, payload) => {
      if (this.sendText(payload, title)) group.remove();
    });
    this.list.append(el("li", { className: "msg bot buttons" }, group));
    this.list.scrollTop = this.list.scrollHeight;
  }

  receive(payload) {
    this.setTyping(false);
    this.show(fromRasa(payload));
    this.options.onIncoming?.();
  }

  submit() {
    const text = this.input.value.trim();
    if (!text) return;
    if (this.sendText(text, text)) this.input.value = "";
  }

  // Sends `payload`, shows `shown` as the user's bubble; false when offline.
  sendText(payload, shown) {
    if (this.options.beforeSend && !this.options.beforeSend()) return false;
    if (!this.connection.send(payload)) {
      this.error("We're having trouble connecting. Please try again in a moment.");
      return false;
    }
    for (const old of this.list.querySelectorAll("li.buttons")) old.remove();
    this.show({ who: "user", text: shown, at: Date.now() });
    this.setTyping(true);
    return true;
  }

  setTyping(on) {
    clearTimeout(this.typingTimer);
    this.typing.hidden = !on;
    this.typingLabel.textContent = on ? "The assistant is typing" : "";
    if (on) {
      this.typingTimer = setTimeout(() => {
        this.setTyping(false);
        this.error("We're having trouble getting an answer. Please try again.");
      }, TYPING_TIMEOUT_MS);
    }
  }

  error(text) {
    this.errorLine.textContent = text;
    this.errorLine.hidden = !text;
  }

  status(state) {
    this.container.dataset.status = state;
    if (state === "online") this.error("");
    else if (state === "offline") {
      this.setTyping(false);
      this.error("We're having trouble connecting. Trying again…");
    }
  }
}
