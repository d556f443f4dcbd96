// An incoming call: `call.started` of a conversation the agent sees shows an Answer button. Answering
// is the API's (answerCallSession); the media path is the shared WebRTC module /static/calls/rtc.js,
// loaded when needed, signalling over this page's gateway socket (call.offer/answer/ice/hangup).

import { ApiError } from "./api.js";
import { $, say, show } from "./dom.js";

const SIGNALS = new Set(["call.offer", "call.answer", "call.ice", "call.hangup"]);

export class CallPanel {
  constructor({ api, root, send, onError }) {
    this.api = api;
    this.rtcUrl = root.dataset.rtcUrl;
    this.send = send;
    this.onError = onError;
    this.call = null;
    this.peer = null;
    this.pending = [];
    $("#call-answer").addEventListener("click", () => this.answer());
    $("#call-hangup").addEventListener("click", () => this.hangup("agent_hangup"));
  }

  status(text, state) {
    say($("#call-status"), text);
    $("#call-panel").dataset.state = state;
  }

  received(frame, openConversationId) {
    const id = frame.callSessionId || frame.data?.id;
    if (this.peer && this.call && id === this.call.id) this.peer.handleFrame(frame); // signalling and call.* events
    if (SIGNALS.has(frame.type)) {
      if (!this.call || frame.callSessionId !== this.call.id) return;
      if (!this.peer) this.pending.push(frame); // an offer can arrive before the module is loaded
      if (frame.type === "call.hangup") this.ended("The caller hung up.");
      return;
    }
    const call = frame.data;
    if (frame.type === "call.started" && call.direction === "inbound" && !this.call) {
      this.call = call;
      show($("#call-panel"), true);
      show($("#call-answer"), true);
      const here = call.conversationId === openConversationId ? "" : ` (conversation ${call.conversationId})`;
      this.status(`Incoming ${call.type} call${here}`, "ringing");
    } else if (this.call && call.id === this.call.id && ["call.ended", "call.missed"].includes(frame.type)) {
      this.ended(frame.type === "call.missed" ? "The call was missed." : "The call ended.");
    }
  }

  // The order rtc.js asks of an agent callee: subscribe to the call's conversation (the signalling reaches
  // subscribed agents only), then answerCallSession and peer.answer(); the caller repeats its offer when
  // the call becomes answered.
  async answer() {
    const call = this.call;
    if (!call) return;
    show($("#call-answer"), false);
    this.status("Answering…", "answering");
    try {
      this.gateway?.subscribe(call.conversationId);
      const { createCallPeer } = await import(this.rtcUrl);
      this.peer = createCallPeer({
        send: (frame) => this.send(frame),
        callSessionId: call.id,
        role: "callee",
        onState: (state) => this.status(`Call ${state}`, state),
        onRemoteStream: (stream) => {
          $("#call-audio").srcObject = stream;
        },
        onError: (error) => this.onError(error),
      });
      window.__inboxCallPeer = this.peer; // the browser tests read its RTCPeerConnection's state
      for (const frame of this.pending.splice(0)) this.peer.handleFrame(frame);
      await this.api.agentCall("PATCH", `/calls/sessions/${call.id}/answer`, {});
      await this.peer.answer();
    } catch (error) {
      this.onError(error instanceof ApiError ? error : new Error(`The call could not start: ${error.message || error}`));
      if (this.peer) this.peer.close?.();
      this.ended("The call could not be answered.");
    }
  }

  hangup(reason) {
    if (!this.call) return;
    if (this.peer) this.peer.hangup(reason);
    else this.send({ type: "call.hangup", callSessionId: this.call.id, reason });
    this.ended("You hung up.");
  }

  ended(text) {
    this.status(text, "ended");
    show($("#call-answer"), false);
    this.call = null;
    this.peer = null;
    this.pending = [];
  }
}
