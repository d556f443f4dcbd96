// The call link's page, once joined: the credential in the page's data-* attributes opens a gateway
// socket, and rtc.js calls the agent (audio). The page's policy allows scripts from this origin only,
// so this is a file of its own (no inline script); see apps/calls/pages.py.
import { createCallPeer, openGateway } from './rtc.js';

const LABELS = {
  new: 'Connecting…',
  connecting: 'Calling… waiting for an agent to answer.',
  connected: 'Connected: you are talking with the agent.',
  disconnected: 'The connection is interrupted; trying to recover…',
  failed: 'The call could not connect.',
  ended: 'The call has ended.',
};

async function run(main) {
  const status = document.getElementById('call-status');
  const hangupButton = document.getElementById('call-hangup');
  const audio = document.getElementById('call-audio');
  const show = (state, text) => {
    status.dataset.callState = state;
    status.textContent = text || LABELS[state] || state;
    hangupButton.disabled = state === 'ended' || state === 'failed';
  };
  let gateway = null;
  const peer = createCallPeer({
    send: (frame) => gateway && gateway.send(frame),
    callSessionId: main.dataset.callSessionId,
    role: 'caller',
    constraints: { audio: true, video: false },
    onState: (state) => {
      show(state);
      if (state === 'ended' && gateway) gateway.close(1000, 'call ended');
    },
    onRemoteStream: (stream) => {
      audio.srcObject = stream;
      audio.play().catch(() => {}); // autoplay may wait for a gesture; the call runs either way
    },
    onError: (error) => console.warn('call:', error),
  });
  hangupButton.addEventListener('click', () => peer.hangup('The visitor hung up.'));
  window.addEventListener('pagehide', () => peer.hangup('The visitor left the page.'));
  show('new');
  try {
    gateway = await openGateway({
      url: main.dataset.realtimeUrl,
      token: main.dataset.credential,
      onFrame: (frame) => {
        if (frame.type === 'error') console.warn('gateway:', frame.code, frame.message);
        else peer.handleFrame(frame);
      },
      onClose: () => {
        if (peer.state !== 'ended' && peer.state !== 'connected') show('failed', 'The connection to the call was lost.');
      },
    });
  } catch (error) {
    show('failed', 'The call service cannot be reached right now.');
    return;
  }
  try {
    await peer.start();
  } catch (error) {
    peer.hangup('The visitor has no microphone.');
    show('failed', 'The microphone is not available: allow it and join again from the chat.');
  }
}

const main = document.getElementById('call-join');
if (main && main.dataset.state === 'joined') run(main);
