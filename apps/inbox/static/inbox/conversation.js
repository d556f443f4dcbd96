// The open conversation: transcript, composer, typing, receipts, accept/transfer/close/reopen, the
// contact panel and the AI's draft replies. Each action is one API call; what the API refuses is shown
// in #action-error with the API's message, and the state shown is always the API's answer.

import { ApiError } from "./api.js";
import { CallPanel } from "./call.js";
import { $, el, say, show, time } from "./dom.js";

const TYPING_REPEAT_MS = 2000;
const TYPING_IDLE_MS = 3000;
const TYPING_SHOWN_MS = 6000;

function describe(error) {
  return error instanceof ApiError ? error.describe() : String(error?.message || error);
}

export class ConversationView {
  constructor({ api, root, onChange, send }) {
    this.api = api;
    this.root = root;
    this.onChange = onChange;
    this.send = send;
    this.id = null;
    this.conversation = null;
    this.messages = new Map();
    this.unread = new Set();
    this.teammates = [];
    this.call = new CallPanel({ api, root, send, onError: (error) => this.error(error) });
    this.bind();
  }

  bind() {
    $("#composer").addEventListener("submit", (event) => {
      event.preventDefault();
      this.reply();
    });
    $("#reply").addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        this.reply();
      }
    });
    $("#reply").addEventListener("input", () => this.typing());
    $("#accept").addEventListener("click", () => this.act("assign", {}));
    $("#transfer").addEventListener("click", () => this.transfer());
    $("#close").addEventListener("click", () => this.act("close"));
    $("#reopen").addEventListener("click", () => this.act("reopen"));
    $("#contact-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.saveContact();
    });
  }

  error(error) {
    say($("#action-error"), error ? describe(error) : "");
  }

  path(suffix = "") {
    return `/agent-sdk/conversations/${this.id}${suffix}`;
  }

  async open(conversationId) {
    if (this.id && this.id !== conversationId) this.gateway?.unsubscribe(this.id);
    this.id = conversationId;
    this.unread.delete(conversationId);
    this.messages.clear();
    this.error(null);
    show($("#no-selection"), false);
    show($("#conversation-view"), true);
    $("#transcript").replaceChildren();
    say($("#typing"), "");
    say($("#conversation-status"), "Loading…");
    for (const action of ["#accept", "#close", "#reopen"]) show($(action), false);
    this.gateway?.subscribe(conversationId);
    try {
      const [detail, page] = await Promise.all([this.api.get(this.path()), this.api.get(this.path("/messages?limit=100"))]);
      if (this.id !== conversationId) return;
      this.update(detail.conversation);
      for (const message of page.messages) this.add(message);
      this.markRead();
    } catch (error) {
      this.error(error);
    }
    this.loadContact();
    this.loadDrafts();
    $("#reply").focus();
  }

  close() {
    if (this.id) this.gateway?.unsubscribe(this.id);
    this.id = null;
    this.conversation = null;
    show($("#conversation-view"), false);
    show($("#no-selection"), true);
    show($("#contact"), false);
    show($("#drafts"), false);
  }

  update(conversation) {
    this.conversation = conversation;
    const mine = conversation.assignedAgentId === this.me?.agentId;
    const assignee = this.teammates.find((agent) => agent.agentId === conversation.assignedAgentId);
    say($("#conversation-title"), `#${conversation.conversationNumber} ${conversation.subject || "Conversation"}`);
    const who = !conversation.assignedAgentId ? "unassigned" : mine ? "assigned to you" : `assigned to ${assignee?.name || "another agent"}`;
    say($("#conversation-status"), `${conversation.status} · ${who}`);
    $("#conversation-status").dataset.status = conversation.status;
    const closed = conversation.status === "closed";
    show($("#accept"), !closed && !mine);
    show($("#close"), !closed);
    show($("#reopen"), closed);
    $("#reply").disabled = closed;
    this.onChange(conversation);
  }

  add(message) {
    const known = this.messages.get(message.messageId);
    const item = el(
      "li",
      { className: `message ${message.senderType}`, "data-message-id": message.messageId, "data-sender": message.senderType },
      el("span", { className: "sender", text: message.senderType === "agent" ? (message.senderAgentId === this.me?.agentId ? "You" : "Agent") : message.senderType === "visitor" ? "Visitor" : message.senderType }),
      el("p", { className: "body", text: message.deletedAt ? "(deleted)" : message.body }),
      el("time", { datetime: message.sentAt, text: time(message.sentAt) }),
      el("span", { className: "receipt", "data-testid": "receipt" }),
    );
    if (known) known.node.replaceWith(item);
    else $("#transcript").append(item);
    this.messages.set(message.messageId, { message, node: item });
    item.scrollIntoView({ block: "end" });
  }

  async markRead() {
    const last = [...this.messages.values()].reverse().find(({ message }) => message.senderType === "visitor");
    if (!last) return;
    try {
      await this.api.post(this.path(`/messages/${last.message.messageId}/read`));
    } catch {
      // a receipt that does not go out is not worth an alarm; the next one will
    }
  }

  async reply() {
    const text = $("#reply").value.trim();
    if (!text || !this.id) return;
    this.error(null);
    const clientMessageId = crypto.randomUUID();
    $("#reply").disabled = true;
    try {
      const sent = await this.api.post(this.path("/messages"), { body: text, clientMessageId });
      this.add(sent.message);
      $("#reply").value = "";
      this.typing(false);
    } catch (error) {
      this.error(error);
    } finally {
      $("#reply").disabled = this.conversation?.status === "closed";
      $("#reply").focus();
    }
  }

  typing(isTyping = true) {
    clearTimeout(this.typingIdle);
    const now = Date.now();
    if (isTyping && (!this.typingSent || now - this.typingSent > TYPING_REPEAT_MS)) {
      this.typingSent = now;
      this.send({ type: "typing", conversationId: this.id, isTyping: true });
    }
    if (!isTyping && this.typingSent) {
      this.typingSent = 0;
      this.send({ type: "typing", conversationId: this.id, isTyping: false });
      return;
    }
    if (isTyping) this.typingIdle = setTimeout(() => this.typing(false), TYPING_IDLE_MS);
  }

  async act(action, body) {
    this.error(null);
    try {
      const data = await this.api.post(this.path(`/${action}`), body);
      this.update(data.conversation);
    } catch (error) {
      this.error(error);
    }
  }

  async transfer() {
    const target = $("#transfer-to").value;
    if (!target) {
      this.error(new Error("Choose whom to transfer the conversation to."));
      return;
    }
    await this.act("assign", { assignedAgentId: target, isTransfer: true });
  }

  async loadTeammates() {
    const data = await this.api.get("/agent-sdk/agents");
    this.teammates = data.agents;
    const options = data.agents
      .filter((agent) => agent.agentId !== this.me?.agentId)
      .map((agent) => el("option", { value: agent.agentId, text: `${agent.name} (${agent.presence})` }));
    $("#transfer-to").replaceChildren(el("option", { value: "", text: "Transfer to…" }), ...options);
  }

  // --- contact panel ----------------------------------------------------------------------------

  async loadContact() {
    const id = this.id;
    try {
      const data = await this.api.get(this.path("/contact"));
      if (this.id !== id) return;
      this.fillContact(data);
      show($("#contact"), true);
    } catch (error) {
      show($("#contact"), false);
      this.error(error);
    }
  }

  fillContact({ contact, visitor }) {
    const form = $("#contact-form");
    const source = contact || { name: visitor.name, email: visitor.email, phone: visitor.phone, tags: [] };
    for (const field of ["name", "phone", "email", "company", "notes"]) form.elements[field].value = source[field] || "";
    form.elements.tags.value = (source.tags || []).join(", ");
    const known = [visitor.name, visitor.email, visitor.verified ? "verified" : "anonymous"].filter(Boolean).join(" · ");
    say($("#visitor-info"), `${contact ? "Contact " + contact.id : "No contact yet"} · visitor ${known}`);
    say($("#contact-result"), "");
  }

  async saveContact() {
    const form = $("#contact-form");
    const body = {};
    for (const field of ["name", "phone", "email", "company", "notes"]) body[field] = form.elements[field].value.trim();
    body.tags = form.elements.tags.value.split(",").map((tag) => tag.trim()).filter(Boolean);
    try {
      const data = await this.api.patch(this.path("/contact"), body);
      this.fillContact(data);
      say($("#contact-result"), "Saved.");
    } catch (error) {
      say($("#contact-result"), describe(error));
    }
  }

  // --- AI drafts (routing ai_assisted; the list is empty otherwise) -----------------------------

  async loadDrafts() {
    const id = this.id;
    let drafts = [];
    try {
      drafts = (await this.api.get(this.path("/ai-drafts"))).drafts;
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) this.error(error);
    }
    if (this.id !== id) return;
    const items = drafts.map((draft) =>
      el(
        "li",
        { className: `draft ${draft.status}`, "data-draft-id": draft.draftId, "data-status": draft.status },
        el("p", { text: draft.status === "ready" ? draft.body : draft.status === "pending" ? "Writing a suggestion…" : `No suggestion: ${draft.reason || draft.status}` }),
        draft.status === "ready"
          ? el("button", { type: "button", className: "secondary", "data-testid": "use-draft", onclick: () => this.useDraft(draft) }, "Use draft")
          : null,
      ),
    );
    $("#draft-list").replaceChildren(...items);
    show($("#drafts"), items.length > 0);
  }

  useDraft(draft) {
    $("#reply").value = draft.body;
    $("#reply").focus();
  }

  // --- live frames --------------------------------------------------------------------------------

  received(frame) {
    const data = frame.data || {};
    if (frame.type.startsWith("call.")) {
      this.call.received(frame, this.id);
      return;
    }
    if (!this.id) return;
    if (frame.type.startsWith("conversation.") && data.conversationId === this.id) {
      this.update(data);
    } else if (frame.type.startsWith("message.") && data.conversationId === this.id) {
      if (frame.type === "message.read") this.receipt(data);
      else {
        this.add(data);
        if (data.senderType === "visitor") {
          say($("#typing"), "");
          this.markRead();
          this.loadDrafts();
        }
      }
    } else if (frame.type === "typing" && frame.conversationId === this.id && frame.sender.kind === "visitor") {
      clearTimeout(this.typingShown);
      say($("#typing"), frame.isTyping ? "The visitor is typing…" : "");
      if (frame.isTyping) this.typingShown = setTimeout(() => say($("#typing"), ""), TYPING_SHOWN_MS);
    }
  }

  receipt(receipt) {
    const known = this.messages.get(receipt.messageId);
    if (!known || receipt.participantType !== "visitor") return;
    const mark = known.node.querySelector(".receipt");
    say(mark, receipt.read ? "Read" : "Delivered");
    mark.dataset.state = receipt.read ? "read" : "delivered";
  }
}
