// The inbox page: sign-in, the live conversation list and the gateway socket. The open conversation
// (transcript, actions, contact, drafts, calls) is conversation.js. Test hooks: data-testid attributes
// in templates/inbox/index.html; each list row is li[data-conversation-id] with a button inside.

import { ApiError, InboxApi } from "./api.js";
import { ConversationView } from "./conversation.js";
import { $, el, say, show, time } from "./dom.js";
import { Gateway } from "./realtime.js";

const root = $("#inbox");
const api = new InboxApi(root.dataset.apiUrl);
const conversations = new Map();
let filter = "unassigned";
let gateway = null;
const view = new ConversationView({ api, root, onChange: upsert, send: (frame) => gateway?.send(frame) });

function describe(error) {
  return error instanceof ApiError ? error.describe() : String(error?.message || error);
}

// --- sign in / out ----------------------------------------------------------------------------

function showSignIn(message = "") {
  root.dataset.state = "signed-out";
  show($("#app"), false);
  show($("#sign-in"), true);
  say($("#sign-in-error"), message);
  const empty = ["#workspace", "#username", "#password"].map((id) => $(id)).find((input) => input && !input.value);
  (empty || $("#password")).focus();
}

async function signIn(event) {
  event.preventDefault();
  const form = event.target;
  const button = form.querySelector("button[type=submit]");
  say($("#sign-in-error"), "");
  button.disabled = true;
  try {
    await api.signIn({
      workspace: form.workspace ? form.workspace.value.trim() : "",
      username: form.username.value.trim(),
      password: form.password.value,
    });
    form.password.value = "";
    await showApp();
  } catch (error) {
    say($("#sign-in-error"), describe(error));
  } finally {
    button.disabled = false;
  }
}

async function signOut() {
  gateway?.stop();
  gateway = null;
  view.close();
  conversations.clear();
  await api.signOut();
  showSignIn("You are signed out.");
}

function signedOut(error) {
  gateway?.stop();
  gateway = null;
  showSignIn(`Your session ended: ${describe(error)}`);
}

// --- the app ----------------------------------------------------------------------------------

async function showApp() {
  root.dataset.state = "signed-in";
  show($("#sign-in"), false);
  show($("#app"), true);
  const agent = api.agent;
  say($("#me"), `${agent.name || agent.username} · ${agent.role} · ${agent.clientSlug}`);
  view.me = agent;
  gateway = new Gateway(root.dataset.realtimeUrl, {
    token: () => api.freshToken(),
    onFrame: received,
    onState: (state) => {
      say($("#connection"), { live: "Live", connecting: "Connecting…", offline: "Reconnecting…" }[state]);
      $("#connection").dataset.state = state;
    },
    onFatal: signedOut,
  });
  view.gateway = view.call.gateway = gateway;
  gateway.start();
  try {
    const [presence] = await Promise.all([api.get("/agent-sdk/presence"), loadList(), view.loadTeammates()]);
    $("#presence").value = presence.status;
  } catch (error) {
    appError(error);
  }
}

function appError(error) {
  say($("#app-error"), error ? describe(error) : "");
}

async function loadList() {
  const data = await api.get("/agent-sdk/conversations?limit=100");
  conversations.clear();
  for (const conversation of data.conversations) conversations.set(conversation.conversationId, conversation);
  renderList();
}

function visible(conversation) {
  if (filter === "mine") return conversation.assignedAgentId === api.agent.agentId;
  if (filter === "unassigned") return !conversation.assignedAgentId && conversation.status !== "closed";
  return true;
}

function renderList() {
  const list = $("#conversation-list");
  const rows = [...conversations.values()]
    .filter(visible)
    .sort((a, b) => (b.lastMessageAt || "").localeCompare(a.lastMessageAt || ""));
  list.replaceChildren(
    ...rows.map((conversation) => {
      const selected = conversation.conversationId === view.id;
      return el(
        "li",
        { "data-conversation-id": conversation.conversationId, "data-status": conversation.status },
        el(
          "button",
          { type: "button", "aria-current": selected ? "true" : false, onclick: () => open(conversation.conversationId) },
          el("strong", { text: `#${conversation.conversationNumber} ${conversation.subject || "Conversation"}` }),
          el("span", { className: "meta", text: `${conversation.status} · ${time(conversation.lastMessageAt)}` }),
          view.unread.has(conversation.conversationId) ? el("span", { className: "unread", text: "new" }) : null,
        ),
      );
    }),
  );
  show($("#list-empty"), rows.length === 0);
}

function upsert(conversation) {
  conversations.set(conversation.conversationId, conversation);
  renderList();
}

async function refresh(conversationId) {
  try {
    upsert((await api.get(`/agent-sdk/conversations/${conversationId}`)).conversation);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      conversations.delete(conversationId); // no longer ours to see (the server decided)
      renderList();
    } else appError(error);
  }
}

async function open(conversationId) {
  appError(null);
  await view.open(conversationId);
  renderList();
}

function received(frame) {
  if (frame.type === "resync_required" || frame.type === "resumed") {
    if (frame.type === "resync_required") loadList().catch(appError);
    return;
  }
  if (frame.type === "error") {
    appError(new ApiError(0, frame.code, frame.message, frame.details));
    return;
  }
  const data = frame.data || {};
  if (frame.type.startsWith("conversation.")) {
    upsert(data);
  } else if (frame.type === "message.created" || frame.type === "message.updated" || frame.type === "message.deleted") {
    if (data.conversationId !== view.id && data.senderType === "visitor") view.unread.add(data.conversationId);
    refresh(data.conversationId);
  } else if (frame.type === "presence" && frame.agentId === api.agent.agentId) {
    $("#presence").value = frame.status;
  }
  view.received(frame);
}

async function presenceChanged(event) {
  try {
    const presence = await api.patch("/agent-sdk/presence", { status: event.target.value });
    event.target.value = presence.status;
    appError(null);
  } catch (error) {
    appError(error);
  }
}

function chooseFilter(event) {
  filter = event.currentTarget.dataset.filter;
  for (const tab of document.querySelectorAll(".tab")) tab.setAttribute("aria-pressed", String(tab === event.currentTarget));
  renderList();
}

$("#sign-in-form").addEventListener("submit", signIn);
$("#sign-out").addEventListener("click", signOut);
$("#presence").addEventListener("change", presenceChanged);
for (const tab of document.querySelectorAll(".tab")) tab.addEventListener("click", chooseFilter);
api.onSignedOut = signedOut;
if (api.signedIn) showApp();
else showSignIn();
