// Ringnity call media: WebRTC audio between a visitor and an agent, signalled over the realtime gateway.
//
// An ES module, plain JavaScript, no build step and no secret: served at /static/calls/rtc.js with
// `Access-Control-Allow-Origin: *`, so a page on any origin may `import(origin + '/static/calls/rtc.js')`.
// The protocol is docs/contract/ringnity-realtime.asyncapi.yaml: `call.offer|answer|ice|hangup` frames
// carry the SDP and the ICE candidates between the participants of one call session, and the durable
// `call.answered|ended|missed` events say what became of the call session itself.
//
//   import { openGateway, createCallPeer } from '/static/calls/rtc.js';
//   const gateway = await openGateway({ url, token, onFrame: (frame) => peer.handleFrame(frame) });
//   const peer = createCallPeer({ send: gateway.send, callSessionId, role: 'caller',
//                                 onState: (state) => ..., onRemoteStream: (stream) => audio.srcObject = stream });
//   await peer.start();          // caller: microphone, then call.offer
//   await peer.answer();         // callee: microphone, then call.answer to the offer (now or when it arrives)
//   peer.hangup('done');         // call.hangup: the gateway also ends the call session
//
// Who hears the signalling: a visitor's socket hears the calls of its own conversations (the join page's
// credential: that one call only); an agent's socket only after `subscribe` to the call's conversation.
// So an agent callee subscribes first, then answers (answerCallSession over REST and `peer.answer()`).
// A caller that started before the callee was listening sends its offer and candidates again when the
// call becomes `answered` (the durable `call.answered` event), so the order of the two sides does not matter.
//
// ICE servers: the API offers none today. Without any, the peers use host candidates only, which
// connect on one machine or one network (the tests use loopback); across NATs pass STUN/TURN servers
// of your own in `iceServers`.

/** The states `onState` reports; all but `ringing` and `ended` are RTCPeerConnection.connectionState. */
export const STATES = Object.freeze(['new', 'ringing', 'connecting', 'connected', 'disconnected', 'failed', 'ended']);
const TERMINAL_EVENTS = new Set(['call.ended', 'call.missed']);

/**
 * A call peer for one call session over an authenticated gateway socket.
 *
 * @param {object} options
 * @param {(frame: object) => void} options.send  sends one client frame over the gateway socket
 * @param {string} options.callSessionId  the call session (`call_...`)
 * @param {'caller'|'callee'} options.role  the caller offers; the callee answers the offer
 * @param {RTCIceServer[]} [options.iceServers]  STUN/TURN servers; none: host candidates only
 * @param {(state: string, peer: object) => void} [options.onState]
 * @param {(stream: MediaStream) => void} [options.onRemoteStream]
 * @param {(error: Error) => void} [options.onError]
 * @param {MediaStreamConstraints} [options.constraints]  default `{audio: true, video: false}`
 */
export function createCallPeer({
  send,
  callSessionId,
  role,
  iceServers = [],
  onState = () => {},
  onRemoteStream = () => {},
  onError = () => {},
  constraints = { audio: true, video: false },
}) {
  if (typeof send !== 'function') throw new TypeError('createCallPeer: `send` must be a function');
  if (!callSessionId) throw new TypeError('createCallPeer: `callSessionId` is required');
  if (role !== 'caller' && role !== 'callee') throw new TypeError("createCallPeer: `role` is 'caller' or 'callee'");

  const pc = new RTCPeerConnection({ iceServers });
  let state = 'new';
  let localStream = null;
  let offer = null; // caller: the offer sent; callee: the remote offer received
  let answerSdp = null; // callee: the answer sent (sent again to a repeated offer)
  let accepted = false; // callee: answer() was called
  let answering = null;
  const localCandidates = [];
  const pendingCandidates = [];
  const remoteStream = new MediaStream();

  function setState(next) {
    if (state === next || state === 'ended') return;
    state = next;
    try {
      onState(next, peer);
    } catch (error) {
      console.error(error);
    }
  }

  function signal(type, fields) {
    send({ type, callSessionId, ...fields });
  }

  function fail(error) {
    try {
      onError(error instanceof Error ? error : new Error(String(error)));
    } catch (inner) {
      console.error(inner);
    }
  }

  pc.addEventListener('icecandidate', (event) => {
    if (!event.candidate) return; // end of candidates: nothing to send
    const candidate = event.candidate.toJSON();
    localCandidates.push(candidate);
    signal('call.ice', { candidate });
  });
  pc.addEventListener('track', (event) => {
    const stream = event.streams && event.streams[0];
    if (stream) {
      onRemoteStream(stream);
    } else {
      remoteStream.addTrack(event.track);
      onRemoteStream(remoteStream);
    }
  });
  pc.addEventListener('connectionstatechange', () => {
    const next = pc.connectionState;
    if (next === 'closed') setState('ended');
    else if (next !== 'new') setState(next);
  });

  async function microphone() {
    if (localStream) return localStream;
    localStream = await navigator.mediaDevices.getUserMedia(constraints);
    for (const track of localStream.getTracks()) pc.addTrack(track, localStream);
    return localStream;
  }

  async function addRemoteCandidate(candidate) {
    if (!pc.remoteDescription) {
      pendingCandidates.push(candidate);
      return;
    }
    try {
      await pc.addIceCandidate(candidate);
    } catch (error) {
      fail(error);
    }
  }

  async function flushCandidates() {
    while (pendingCandidates.length) await addRemoteCandidate(pendingCandidates.shift());
  }

  function resendOffer() {
    if (role !== 'caller' || !offer || pc.remoteDescription || state === 'ended') return;
    signal('call.offer', { sdp: offer });
    for (const candidate of localCandidates) signal('call.ice', { candidate });
  }

  async function respond() {
    // The callee's answer to the offer, once both have happened (answer() and the offer's arrival).
    if (!accepted || !offer || state === 'ended') return;
    if (answerSdp) {
      signal('call.answer', { sdp: answerSdp });
      return;
    }
    if (answering) return;
    answering = (async () => {
      await microphone();
      await pc.setRemoteDescription({ type: 'offer', sdp: offer });
      await flushCandidates();
      const answer = await pc.createAnswer();
      await pc.setLocalDescription(answer);
      answerSdp = pc.localDescription.sdp;
      if (state !== 'ended') {
        signal('call.answer', { sdp: answerSdp });
        setState('connecting');
      }
    })();
    try {
      await answering;
    } catch (error) {
      answering = null;
      fail(error);
    }
  }

  function close() {
    for (const track of localStream ? localStream.getTracks() : []) track.stop();
    try {
      pc.close();
    } catch (error) {
      console.error(error);
    }
    setState('ended');
  }

  /** Takes one server frame (object or JSON text); true when it was about this call session. */
  function handleFrame(frame) {
    if (typeof frame === 'string') {
      try {
        frame = JSON.parse(frame);
      } catch {
        return false;
      }
    }
    if (!frame || typeof frame.type !== 'string') return false;
    const durable = frame.data && typeof frame.data === 'object' && frame.cursor !== undefined;
    if (durable) {
      if (frame.data.id !== callSessionId) return false;
      if (frame.type === 'call.answered') resendOffer();
      if (TERMINAL_EVENTS.has(frame.type) && state !== 'ended') close();
      return true;
    }
    if (frame.callSessionId !== callSessionId || state === 'ended') return frame.callSessionId === callSessionId;
    switch (frame.type) {
      case 'call.offer':
        if (role !== 'callee') return true;
        if (answerSdp && frame.sdp === offer) {
          signal('call.answer', { sdp: answerSdp }); // the caller did not hear our answer: again
          return true;
        }
        if (!offer) {
          offer = frame.sdp;
          if (!accepted) setState('ringing');
          respond();
        }
        return true;
      case 'call.answer':
        if (role !== 'caller' || pc.remoteDescription || !offer) return true;
        pc.setRemoteDescription({ type: 'answer', sdp: frame.sdp })
          .then(flushCandidates)
          .catch(fail);
        return true;
      case 'call.ice':
        if (frame.candidate) addRemoteCandidate(frame.candidate);
        return true;
      case 'call.hangup':
        close();
        return true;
      default:
        return true;
    }
  }

  /** The caller: takes the microphone and sends `call.offer`. */
  async function start() {
    if (role !== 'caller') throw new Error('start() is for the caller; the callee calls answer()');
    if (offer) return;
    await microphone();
    const description = await pc.createOffer();
    await pc.setLocalDescription(description);
    offer = pc.localDescription.sdp;
    setState('connecting');
    signal('call.offer', { sdp: offer });
  }

  /** The callee: takes the microphone and answers the offer (now, or as soon as it arrives). */
  async function answer() {
    if (role !== 'callee') throw new Error('answer() is for the callee; the caller calls start()');
    accepted = true;
    if (!offer) setState('connecting');
    await respond();
  }

  /** Sends `call.hangup` (the gateway ends the call session) and releases the microphone. */
  function hangup(reason) {
    if (state === 'ended') return;
    signal('call.hangup', reason ? { reason: String(reason).slice(0, 255) } : {});
    close();
  }

  const peer = {
    handleFrame,
    start,
    answer,
    hangup,
    close,
    resendOffer,
    get state() {
      return state;
    },
    get connection() {
      return pc;
    },
    get localStream() {
      return localStream;
    },
    callSessionId,
    role,
  };
  return peer;
}

/**
 * A gateway socket of one's own: opens `url`, sends the auth frame, answers pings, and resolves once the
 * server says `ready`. `onFrame` gets every other server frame (parsed); `onClose` the close event.
 *
 * @returns {Promise<{send: (frame: object) => void, close: (code?: number, reason?: string) => void,
 *   ready: object, socket: WebSocket}>}
 */
export function openGateway({ url, token, onFrame = () => {}, onClose = () => {} }) {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    let ready = null;
    const send = (frame) => {
      if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
    };
    socket.addEventListener('open', () => send({ type: 'auth', token }));
    socket.addEventListener('message', (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (frame.type === 'ping') {
        send({ type: 'pong' });
        return;
      }
      if (frame.type === 'ready' && !ready) {
        ready = frame;
        resolve({ send, close: (code, reason) => socket.close(code, reason), ready, socket });
        return;
      }
      onFrame(frame);
    });
    socket.addEventListener('close', (event) => {
      if (!ready) reject(new Error(`the gateway closed the socket (${event.code} ${event.reason})`));
      onClose(event);
    });
  });
}
