// One conversation on Rasa's socket.io channel (session_persistence: true).
// The session id is random (crypto.getRandomValues) and kept in sessionStorage, so a reload
// of the page goes on with the same Rasa conversation.
import { io } from "/static/vendor/socket.io.esm.min.js";

export function randomId() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function storedSessionId(key) {
  let id = sessionStorage.getItem(key);
  if (!id || !/^[0-9a-f]{32}$/.test(id)) {
    id = randomId();
    sessionStorage.setItem(key, id);
  }
  return id;
}

export class RasaConnection {
  // handlers: {onMessage(msg), onStatus("connecting"|"online"|"offline")}
  constructor({ rasaUrl, socketPath, sessionKey, getToken, handlers }) {
    this.sessionKey = sessionKey;
    this.sessionId = storedSessionId(sessionKey);
    this.getToken = getToken;
    this.handlers = handlers;
    this.confirmed = false;
    this.socket = io(rasaUrl, {
      path: socketPath,
      transports: ["websocket"],
      reconnection: true,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 10000,
      timeout: 10000,
    });
    this.socket.on("connect", () => {
      this.handlers.onStatus("connecting");
      this.socket.emit("session_request", { session_id: this.sessionId });
    });
    this.socket.on("session_confirm", () => {
      this.confirmed = true;
      this.handlers.onStatus("online");
    });
    this.socket.on("bot_uttered", (message) => this.handlers.onMessage(message || {}));
    this.socket.on("disconnect", () => {
      this.confirmed = false;
      this.handlers.onStatus("offline");
    });
    this.socket.on("connect_error", () => this.handlers.onStatus("offline"));
  }

  get online() {
    return this.socket.connected && this.confirmed;
  }

  send(text) {
    if (!this.online) return false;
    const token = this.getToken();
    const metadata = token ? { token } : {};
    // bot/credentials.yml points Rasa's metadata_key at "customData".
    this.socket.emit("user_uttered", {
      message: text,
      session_id: this.sessionId,
      customData: metadata,
    });
    return true;
  }

  // A new conversation (sign-in or sign-out changes who is talking).
  restart() {
    this.sessionId = randomId();
    sessionStorage.setItem(this.sessionKey, this.sessionId);
    if (this.socket.connected) this.socket.emit("session_request", { session_id: this.sessionId });
  }

  close() {
    this.socket.disconnect();
  }
}
