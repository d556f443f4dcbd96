// One gateway socket (docs/contract/ringnity-realtime.asyncapi.yaml): auth frame first, pong every ping,
// subscriptions restored and missed events replayed from the last cursor after a reconnect.

const RETRY_MS = [500, 1000, 2000, 5000, 10000];
const FATAL_CLOSES = new Set([4001, 4002, 4003]); // auth failed, revoked, forbidden: sign in again

export class Gateway {
  constructor(url, { token, onFrame, onState, onFatal }) {
    this.url = url;
    this.token = token; // async () => a valid agent runtime token
    this.onFrame = onFrame;
    this.onState = onState;
    this.onFatal = onFatal;
    this.cursor = null;
    this.subscriptions = new Set();
    this.attempt = 0;
    this.stopped = false;
    this.socket = null;
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    if (this.socket) this.socket.close(1000);
    this.socket = null;
  }

  send(frame) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN && this.ready) {
      this.socket.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  subscribe(conversationId) {
    this.subscriptions.add(conversationId);
    this.send({ type: "subscribe", conversationId });
  }

  unsubscribe(conversationId) {
    if (this.subscriptions.delete(conversationId)) this.send({ type: "unsubscribe", conversationId });
  }

  async connect() {
    if (this.stopped) return;
    this.ready = false;
    this.onState("connecting");
    let token;
    try {
      token = await this.token();
    } catch (error) {
      this.onFatal(error);
      return;
    }
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.addEventListener("open", () => socket.send(JSON.stringify({ type: "auth", token })));
    socket.addEventListener("message", (event) => this.received(JSON.parse(event.data)));
    socket.addEventListener("close", (event) => {
      if (this.socket !== socket) return;
      this.ready = false;
      this.onState("offline");
      if (this.stopped) return;
      if (FATAL_CLOSES.has(event.code)) {
        this.onFatal(new Error(event.reason || "The realtime connection was refused; sign in again."));
        return;
      }
      const delay = RETRY_MS[Math.min(this.attempt++, RETRY_MS.length - 1)];
      setTimeout(() => this.connect(), delay);
    });
  }

  received(frame) {
    switch (frame.type) {
      case "ping":
        this.socket.send(JSON.stringify({ type: "pong" }));
        return;
      case "ready":
        this.ready = true;
        this.attempt = 0;
        if (this.cursor === null) this.cursor = frame.cursor;
        else this.socket.send(JSON.stringify({ type: "resume", cursor: this.cursor }));
        for (const conversationId of this.subscriptions) this.send({ type: "subscribe", conversationId });
        this.onState("live");
        this.scheduleRenewal(frame.expiresAt);
        break;
      case "resync_required":
        this.cursor = frame.cursor;
        break;
      default:
        if (frame.cursor) this.cursor = frame.cursor;
    }
    this.onFrame(frame);
  }

  // The agent token ends; a new auth frame on the open socket extends it (same principal).
  scheduleRenewal(expiresAt) {
    clearTimeout(this.renewal);
    if (!expiresAt) return;
    const wait = Math.max(5000, Date.parse(expiresAt) - Date.now() - 60_000);
    this.renewal = setTimeout(async () => {
      try {
        const token = await this.token();
        this.send({ type: "auth", token });
      } catch (error) {
        this.onFatal(error);
      }
    }, wait);
  }
}
