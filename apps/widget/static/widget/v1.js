/*! Ringnity chat widget v1 — plain JavaScript, no framework, no build step.
 *
 * Embed:  <script src="https://<ringnity host>/widget/v1.js" data-client-id="cl_..." async></script>
 *   data-client-id      the tenant's client id (required); the page's origin must be on its allowed domains
 *   data-context-token  optional: a visitor context token minted by the tenant's server (an identified visitor)
 *   data-lang           optional: a strings table of /widget/v1/strings/ (default: the browser's, else en)
 * Commands (also queued before the script loads: window.Ringnity = window.Ringnity || function () {
 *   (Ringnity.q = Ringnity.q || []).push(arguments) }):
 *   Ringnity('identify', contextToken)   Ringnity('open')   Ringnity('close')   Ringnity('reset')
 *
 * It uses only the public API of its own origin: REST under /api (bootstrap, chat visitor routes, AI
 * visitor routes, calls) and the realtime gateway /realtime/v1 (auth with the chat session token, resume
 * from the last cursor). State per client id in localStorage ("ringnity:<client id>"): the chat session
 * token, the conversation, the realtime cursor and the outbox of messages not yet accepted (each with its
 * clientMessageId, so a retry never duplicates). Rendered in an open shadow root of <ringnity-chat>.
 *
 * Test hooks (stable; roles and labels come from the strings table):
 *   data-testid  rn-launcher (button, aria-expanded) · rn-unread (badge) · rn-panel (role=dialog)
 *                rn-close · rn-call · rn-call-panel (data-state: the call peer's state) · rn-call-state · rn-hangup
 *                rn-status (role=status)
 *                rn-messages (role=log) · rn-message (one per message) · rn-body · rn-receipt · rn-attachment
 *                rn-typing · rn-handoff · rn-form · rn-input · rn-attach · rn-file (input type=file) · rn-send
 *   rn-message   data-sender (visitor|agent|ai|system) data-message-id data-client-message-id
 *                data-status (sending|queued|sent|read|failed; visitor messages)
 *   <ringnity-chat data-state="ready|offline|unavailable" data-live="true|false">: the host element
 */
(() => {
  'use strict';
  if (window.__ringnityWidget) return;
  const script = document.currentScript || document.querySelector('script[data-client-id][src*="/widget/v1.js"]');
  if (!script) return;
  const BASE = new URL(script.src, location.href).origin;
  const CLIENT = (script.dataset.clientId || '').trim();
  if (!CLIENT) return console.error('Ringnity widget: data-client-id is required');
  window.__ringnityWidget = true;

  // --- state --------------------------------------------------------------------------------------------
  const KEY = 'ringnity:' + CLIENT;
  let saved = load();
  let contextToken = script.dataset.contextToken || '';
  let T = {};
  let boot = null; // bootstrap data
  let routing = null;
  let conversation = null;
  let sessionPromise = null;
  let ws = null;
  let live = false;
  let retryDelay = 1000;
  let reconnectTimer = 0;
  let flushing = false;
  let flushTimer = 0;
  let typingTimer = 0;
  let typingSentAt = 0;
  let typingOn = false;
  let call = null;
  let peer = null;
  let unread = 0;
  let order = 0;
  const messages = new Map(); // key: messageId, or "c:" + clientMessageId while pending
  const readBy = new Set(); // own messages the team has read

  function load() {
    try {
      const value = JSON.parse(localStorage.getItem(KEY) || '{}');
      return value && typeof value === 'object' ? { outbox: [], ...value } : { outbox: [] };
    } catch (e) {
      return { outbox: [] };
    }
  }
  function save() {
    try {
      localStorage.setItem(KEY, JSON.stringify(saved));
    } catch (e) { /* storage full or blocked: the session lasts this page */ }
  }
  const t = (key, values = {}) => (T[key] || key).replace(/\{(\w+)\}/g, (_, k) => (k in values ? values[k] : ''));
  const online = () => navigator.onLine !== false;
  function newId() {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return 'wgt_' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  }
  function subjectOf(token) {
    try {
      const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
      return JSON.parse(atob(part)).sub || token;
    } catch (e) {
      return token;
    }
  }

  // --- REST -----------------------------------------------------------------------------------------------
  async function api(method, path, { body, form, headers = {}, auth = true } = {}) {
    const h = { ...headers };
    if (auth && saved.token) h['X-Ringnity-Chat-Session'] = saved.token;
    let payload;
    if (form) payload = form;
    else if (body !== undefined) {
      h['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    const response = await fetch(BASE + '/api' + path, { method, headers: h, body: payload, credentials: 'omit' });
    let json = null;
    try {
      json = await response.json();
    } catch (e) { /* no body */ }
    if (!response.ok) {
      const error = new Error((json && json.message) || response.statusText || String(response.status));
      error.status = response.status;
      error.code = json && json.code;
      throw error;
    }
    return json && json.data;
  }
  const transient = (e) => !e.status || e.status >= 500 || e.status === 429 || e.status === 408;

  // --- session ----------------------------------------------------------------------------------------------
  /** Drops the session and what it showed; ``person``: another person now (their unsent messages go too). */
  function forget(person) {
    closeSocket();
    saved = { outbox: person ? [] : saved.outbox || [] };
    conversation = null;
    sessionPromise = null;
    save();
    for (const [key, m] of messages) {
      if (person || m.messageId) {
        if (m.node) m.node.remove();
        messages.delete(key);
      }
    }
    readBy.clear();
    if (el.log) render();
  }
  function adopt(data) {
    saved.token = data.sessionToken;
    saved.visitorId = data.visitorId;
    if (contextToken) saved.identity = subjectOf(contextToken);
    if (data.conversation) setConversation(data.conversation);
    save();
  }
  function ensureSession() {
    if (!sessionPromise) {
      sessionPromise = startSession();
      sessionPromise.catch(() => (sessionPromise = null));
    }
    return sessionPromise;
  }
  async function startSession() {
    if (contextToken && saved.token && saved.identity !== subjectOf(contextToken)) forget(true);
    if (saved.token) {
      try {
        adopt(await api('POST', '/chat/visitor/sessions', { body: {}, headers: { 'X-Ringnity-Tenant': CLIENT } }));
        return afterSession();
      } catch (e) {
        if (transient(e)) throw e;
        forget(); // revoked or expired: a new session
      }
    }
    if (contextToken) {
      const runtime = await api('POST', '/sdk/session', { auth: false, body: { slug: CLIENT, contextToken } });
      const headers = { 'X-Ringnity-SDK-Session': runtime.sessionToken };
      adopt(await api('POST', '/chat/visitor/sessions', { auth: false, body: {}, headers }));
    } else {
      adopt(await api('POST', '/chat/visitor/sessions', { auth: false, body: {}, headers: { 'X-Ringnity-Tenant': CLIENT } }));
    }
    return afterSession();
  }
  async function afterSession() {
    try {
      routing = await api('GET', '/ai/visitor/routing');
    } catch (e) {
      routing = null;
    }
    if (saved.conversationId) await loadConversation(); // the transcript, also after a reload
    connect();
    flush();
    render();
  }
  function setConversation(data) {
    conversation = data;
    saved.conversationId = data.conversationId;
    save();
  }
  async function loadConversation() {
    try {
      const data = await api('GET', '/chat/visitor/conversations/' + encodeURIComponent(saved.conversationId));
      setConversation(data.conversation);
      data.messages.forEach(upsert);
    } catch (e) {
      if (e.status === 404) {
        delete saved.conversationId;
        save();
      } else if (transient(e)) throw e;
    }
  }
  const closed = () => conversation && ['closed', 'resolved'].includes(conversation.status);
  const handedOff = () =>
    !!(conversation && conversation.assignedAgentId) ||
    [...messages.values()].some((m) => (m.metadata || {}).aiHandoff || m.senderType === 'agent');
  const aiConversation = () => !!(conversation && conversation.channel === 'ai' && !closed());
  const aiFirst = () => !!(routing && routing.canUseAi && routing.mode === 'ai_first');
  const useAi = () => (conversation && !closed() ? aiConversation() : aiFirst()) && !handedOff();

  async function startConversation() {
    if (aiFirst()) {
      const started = await api('POST', '/ai/visitor/conversations', { body: {} });
      saved.conversationId = started.conversationId;
      await loadConversation();
    } else {
      setConversation((await api('POST', '/chat/visitor/conversations', { body: {} })).conversation);
    }
  }

  // --- sending: the outbox -----------------------------------------------------------------------------------
  function send(body) {
    const item = { cid: newId(), body };
    saved.outbox.push(item);
    save();
    pending(item);
    flush();
  }
  function pending(item) {
    upsert({ clientMessageId: item.cid, body: item.body, senderType: 'visitor', messageType: 'text', pending: true });
  }
  async function flush() {
    if (flushing) return;
    flushing = true;
    clearTimeout(flushTimer);
    try {
      while (saved.outbox.length && online()) {
        const item = saved.outbox[0];
        try {
          await deliver(item);
        } catch (e) {
          if (transient(e)) {
            flushTimer = setTimeout(flush, 3000);
            break;
          }
          const message = messages.get('c:' + item.cid);
          if (message) upsert({ ...message, failed: e.message });
        }
        saved.outbox.shift();
        save();
      }
    } finally {
      flushing = false;
      render();
    }
  }
  async function deliver(item) {
    await ensureSession();
    if (!conversation || closed()) await startConversation();
    if (useAi()) {
      const answer = await api('POST', '/ai/visitor/chat', {
        body: { conversationId: conversation.conversationId, message: item.body, stream: true, metadata: { clientMessageId: item.cid } },
      });
      if (answer.handoffRecommended && !(answer.metadata || {}).messageId) notice(answer.message || t('handedOff'));
      return;
    }
    const path = '/chat/visitor/conversations/' + encodeURIComponent(conversation.conversationId) + '/messages';
    try {
      upsert((await api('POST', path, { body: { body: item.body, clientMessageId: item.cid } })).message);
    } catch (e) {
      if (e.status !== 409) throw e;
      conversation.status = 'closed'; // closed meanwhile: the message starts a new conversation
      await deliver(item);
    }
  }
  async function sendFile(file) {
    try {
      await ensureSession();
      if (!conversation || closed()) await startConversation();
      const form = new FormData();
      form.append('file', file, file.name);
      const path = '/chat/visitor/conversations/' + encodeURIComponent(conversation.conversationId) + '/attachments/upload';
      upsert((await api('POST', path, { form })).message);
    } catch (e) {
      notice(t('failed', { reason: e.status ? e.message : t('offline') }));
    }
  }
  async function download(message) {
    const id = (message.metadata || {}).attachmentId;
    const path = `/chat/visitor/conversations/${encodeURIComponent(message.conversationId)}/attachments/${encodeURIComponent(id)}/download`;
    const response = await fetch(BASE + '/api' + path, { headers: { 'X-Ringnity-Chat-Session': saved.token }, credentials: 'omit' });
    if (!response.ok) return notice(t('failed', { reason: response.statusText }));
    const url = URL.createObjectURL(await response.blob());
    const link = h('a', { href: url, download: message.body || 'file' });
    root.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }
  function markRead() {
    if (!panelOpen() || document.visibilityState === 'hidden' || !saved.token) return;
    const theirs = sorted().filter((m) => m.messageId && (m.senderType === 'agent' || m.senderType === 'ai'));
    const fresh = theirs.filter((m) => !saved.readAt || m.at > saved.readAt).slice(-5);
    if (!fresh.length) return;
    saved.readAt = fresh[fresh.length - 1].at;
    save();
    for (const m of fresh) {
      const path = `/chat/conversations/${encodeURIComponent(m.conversationId)}/messages/${encodeURIComponent(m.messageId)}/read`;
      api('POST', path, { body: {} }).catch(() => {});
    }
  }
  function typing(isTyping) {
    if (!live || !conversation || closed()) return;
    const now = Date.now();
    if (isTyping === typingOn && (!isTyping || now - typingSentAt < 3000)) return;
    typingOn = isTyping;
    typingSentAt = now;
    ws.send(JSON.stringify({ type: 'typing', conversationId: conversation.conversationId, isTyping }));
  }

  // --- realtime -------------------------------------------------------------------------------------------------
  function connect() {
    if (ws || !saved.token || !online()) return;
    clearTimeout(reconnectTimer);
    const socket = new WebSocket(BASE.replace(/^http/, 'ws') + '/realtime/v1');
    ws = socket;
    socket.onopen = () => socket.send(JSON.stringify({ type: 'auth', token: saved.token }));
    socket.onmessage = (event) => {
      if (ws !== socket) return;
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      onFrame(frame, socket);
    };
    socket.onclose = (event) => {
      if (ws !== socket) return;
      ws = null;
      live = false;
      render();
      if (event.code === 4001 || event.code === 4002) {
        forget(); // the chat session is no longer valid: start again when the visitor acts
        return;
      }
      reconnectTimer = setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 30000);
    };
  }
  function closeSocket() {
    clearTimeout(reconnectTimer);
    if (ws) {
      const socket = ws;
      ws = null;
      live = false;
      socket.close();
    }
  }
  function goLive() {
    live = true;
    retryDelay = 1000;
    render();
    flush();
  }
  async function onFrame(frame, socket) {
    const type = frame.type;
    if (type === 'ping') return socket.send('{"type":"pong"}');
    if (type === 'ready') {
      if (saved.cursor) return socket.send(JSON.stringify({ type: 'resume', cursor: saved.cursor }));
      saved.cursor = frame.cursor;
      save();
      if (saved.conversationId) await loadConversation().catch(() => {});
      return goLive();
    }
    if (type === 'resumed') return goLive();
    if (type === 'resync_required') {
      saved.cursor = frame.cursor;
      save();
      if (saved.conversationId) await loadConversation().catch(() => {});
      return goLive();
    }
    if (frame.cursor) {
      if (peer && type.startsWith('call.')) peer.handleFrame(frame); // call.answered: the caller re-offers
      durable(type, frame.data || {});
      saved.cursor = frame.cursor;
      save();
      return;
    }
    if (type === 'typing') return showTyping(frame);
    if (type === 'ai.delta') {
      const current = messages.get(frame.messageId);
      if (current && !current.streaming) return;
      const body = (current ? current.body : '') + frame.delta;
      return upsert({ messageId: frame.messageId, conversationId: frame.conversationId, senderType: 'ai', body, streaming: true });
    }
    if (type === 'ai.done') return upsert(frame.message);
    if (type.startsWith('call.') && peer && frame.callSessionId === (call && call.id)) peer.handleFrame(frame);
  }
  function durable(type, data) {
    if (type.startsWith('message.') && type !== 'message.read') return upsert(data);
    if (type === 'message.read') {
      if (data.participantType !== 'visitor') readBy.add(data.messageId);
      return render();
    }
    if (type.startsWith('conversation.')) {
      if (conversation && data.conversationId === conversation.conversationId) conversation = { ...conversation, ...data };
      else if (!conversation && data.visitorId === saved.visitorId) setConversation(data);
      return render();
    }
    if (type.startsWith('call.') && call && data.id === call.id) {
      call = { ...call, ...data };
      if (['ended', 'missed', 'failed'].includes(data.status)) endCall(data.status === 'ended' ? 'callEnded' : 'callFailed');
      renderCall();
    }
  }
  function showTyping(frame) {
    if (!conversation || frame.conversationId !== conversation.conversationId || frame.sender.kind === 'visitor') return;
    clearTimeout(typingTimer);
    el.typing.textContent = frame.isTyping ? t('typing') : '';
    if (frame.isTyping) typingTimer = setTimeout(() => (el.typing.textContent = ''), 8000);
  }

  // --- calls ------------------------------------------------------------------------------------------------------
  async function startCall() {
    try {
      await ensureSession();
      if (!conversation || closed()) await startConversation();
      const data = await api('POST', '/calls/sessions', { body: { conversationId: conversation.conversationId, type: 'audio' } });
      call = { ...data.callSession, ui: 'callCalling' };
      renderCall();
      try {
        const rtc = await import(BASE + '/static/calls/rtc.js');
        peer = rtc.createCallPeer({
          send: (frame) => ws && ws.send(JSON.stringify(frame)),
          callSessionId: call.id,
          role: 'caller',
          onState: (state) => {
            if (!call) return;
            if (state === 'ended') return endCall('callEnded');
            call.ui = { connecting: 'callConnecting', connected: 'callConnected', failed: 'callFailed' }[state] || call.ui;
            call.state = state;
            renderCall();
          },
          onRemoteStream: (stream) => (el.audio.srcObject = stream),
        });
        await peer.start();
      } catch (e) {
        console.warn('Ringnity widget: call media unavailable', e);
      }
    } catch (e) {
      notice(t('callFailed'));
      endCall();
    }
  }
  async function hangup() {
    const current = call;
    const active = peer;
    if (!current) return;
    endCall('callEnded');
    if (active) active.hangup('hangup'); // call.hangup over the gateway (it ends the call session too)
    try {
      await api('PATCH', '/calls/sessions/' + encodeURIComponent(current.id) + '/end', { body: { reason: 'visitor_hangup' } });
    } catch (e) { /* already ended */ }
  }
  function endCall(reason) {
    const had = call;
    peer = null;
    call = null;
    el.audio.srcObject = null;
    if (reason && had) notice(t(reason));
    renderCall();
  }

  // --- view ---------------------------------------------------------------------------------------------------------
  function h(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v == null || v === false) continue;
      if (k === 'text') node.textContent = v;
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? '' : v);
    }
    node.append(...children);
    return node;
  }
  const icon = (d) => {
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
    path.setAttribute('d', d);
    svg.append(path);
    return svg;
  };
  const ICONS = {
    chat: 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z',
    close: 'M6 6l12 12M18 6L6 18',
    send: 'M3 20l18-8L3 4v6l12 2-12 2z',
    attach: 'M16 7l-7.5 7.5a2 2 0 0 0 2.8 2.8L19 9.6a4 4 0 0 0-5.7-5.7L5.6 11.6a6 6 0 0 0 8.5 8.5L20 14',
    phone: 'M6.6 10.8a15 15 0 0 0 6.6 6.6l2.2-2.2a1 1 0 0 1 1-.25 11.4 11.4 0 0 0 3.6.6 1 1 0 0 1 1 1V20a1 1 0 0 1-1 1A17 17 0 0 1 3 4a1 1 0 0 1 1-1h3.5a1 1 0 0 1 1 1c0 1.25.2 2.45.6 3.6a1 1 0 0 1-.25 1z',
  };

  const host = document.createElement('ringnity-chat');
  const root = host.attachShadow({ mode: 'open' });
  const el = {};
  const panelOpen = () => !el.panel.hidden;

  function build() {
    const css = new CSSStyleSheet();
    css.replaceSync(CSS);
    root.adoptedStyleSheets = [css];
    el.launcher = h('button', { class: 'launcher', type: 'button', 'data-testid': 'rn-launcher', 'aria-expanded': 'false', 'aria-controls': 'rn-panel', onclick: toggle });
    el.launcherLabel = h('span', { class: 'sr' });
    el.badge = h('span', { class: 'badge', 'data-testid': 'rn-unread', hidden: true });
    el.launcher.append(icon(ICONS.chat), el.launcherLabel, el.badge);
    el.title = h('h2', { id: 'rn-title' });
    el.subtitle = h('p', { class: 'sub' });
    el.call = h('button', { class: 'icon', type: 'button', 'data-testid': 'rn-call', hidden: true, onclick: startCall }, icon(ICONS.phone));
    el.close = h('button', { class: 'icon', type: 'button', 'data-testid': 'rn-close', onclick: () => setOpen(false) }, icon(ICONS.close));
    el.status = h('p', { class: 'status', role: 'status', 'data-testid': 'rn-status' });
    el.callState = h('span', { 'data-testid': 'rn-call-state' });
    el.hangup = h('button', { class: 'hangup', type: 'button', 'data-testid': 'rn-hangup', onclick: hangup });
    el.audio = h('audio', { autoplay: true });
    el.callPanel = h('div', { class: 'call', 'data-testid': 'rn-call-panel', hidden: true }, el.callState, el.hangup, el.audio);
    el.log = h('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'data-testid': 'rn-messages', tabindex: '0' });
    el.empty = h('p', { class: 'empty' });
    el.typing = h('p', { class: 'typing', 'data-testid': 'rn-typing', 'aria-live': 'polite' });
    el.handoff = h('button', { class: 'handoff', type: 'button', 'data-testid': 'rn-handoff', hidden: true, onclick: askForPerson });
    el.inputLabel = h('label', { for: 'rn-input', class: 'sr' });
    el.input = h('textarea', { id: 'rn-input', rows: '1', 'data-testid': 'rn-input', maxlength: '5000', onkeydown: onKey, oninput: () => typing(!!el.input.value.trim()), onblur: () => typing(false) });
    el.file = h('input', { type: 'file', hidden: true, 'data-testid': 'rn-file', onchange: onFile });
    el.attach = h('button', { class: 'icon', type: 'button', 'data-testid': 'rn-attach', onclick: () => el.file.click() }, icon(ICONS.attach));
    el.send = h('button', { class: 'icon primary', type: 'submit', 'data-testid': 'rn-send' }, icon(ICONS.send));
    el.form = h('form', { 'data-testid': 'rn-form', onsubmit: onSubmit }, el.inputLabel, el.input, el.file, el.attach, el.send);
    const header = h('header', {}, h('div', { class: 'heading' }, el.title, el.subtitle), el.call, el.close);
    el.panel = h('section', { class: 'panel', id: 'rn-panel', role: 'dialog', 'aria-labelledby': 'rn-title', 'data-testid': 'rn-panel', hidden: true, onkeydown: (e) => e.key === 'Escape' && setOpen(false, true) },
      header, el.status, el.callPanel, el.log, el.empty, el.typing, el.handoff, el.form);
    root.append(el.panel, el.launcher);
    document.body.append(host);
  }
  function applyStrings() {
    el.launcherLabel.textContent = panelOpen() ? t('launcherClose') : t('launcherOpen');
    el.title.textContent = (boot && boot.tenant && boot.tenant.name) || t('title');
    el.call.setAttribute('aria-label', t('call'));
    el.close.setAttribute('aria-label', t('close'));
    el.hangup.textContent = t('hangup');
    el.log.setAttribute('aria-label', t('messages'));
    el.empty.textContent = t('empty');
    el.handoff.textContent = t('talkToPerson');
    el.inputLabel.textContent = t('inputLabel');
    el.input.placeholder = t('placeholder');
    el.attach.setAttribute('aria-label', t('attach'));
    el.send.setAttribute('aria-label', t('send'));
  }
  function setOpen(open, restoreFocus) {
    el.panel.hidden = !open;
    el.launcher.setAttribute('aria-expanded', String(open));
    host.toggleAttribute('data-open', open);
    applyStrings();
    if (open) {
      unread = 0;
      el.input.focus();
      ensureSession().then(markRead, () => render());
    } else if (restoreFocus) el.launcher.focus();
    render();
  }
  const toggle = () => setOpen(!panelOpen(), false);
  function onKey(event) {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      el.form.requestSubmit();
    }
  }
  function onSubmit(event) {
    event.preventDefault();
    const body = el.input.value.trim();
    if (!body) return;
    el.input.value = '';
    typing(false);
    send(body);
  }
  function onFile() {
    const file = el.file.files && el.file.files[0];
    el.file.value = '';
    if (file) sendFile(file);
  }
  async function askForPerson() {
    el.handoff.hidden = true;
    try {
      await api('POST', '/ai/visitor/handoff', { body: { conversationId: conversation.conversationId } });
      notice(t('handedOff'));
    } catch (e) {
      notice(t('failed', { reason: e.message }));
    }
    render();
  }
  function notice(text) {
    upsert({ messageId: 'local:' + newId(), senderType: 'system', body: text, local: true });
  }

  function upsert(data) {
    if (!data) return;
    const pendingKey = data.clientMessageId && 'c:' + data.clientMessageId;
    const key = data.messageId || pendingKey;
    let previous = messages.get(key);
    if (data.messageId && pendingKey && messages.has(pendingKey)) {
      previous = previous || messages.get(pendingKey);
      const node = messages.get(pendingKey).node;
      messages.delete(pendingKey);
      if (node && previous.node !== node) node.remove();
    }
    const at = data.sentAt ? Date.parse(data.sentAt) : previous ? previous.at : Number.MAX_SAFE_INTEGER;
    const message = { ...data, at, seq: previous ? previous.seq : ++order, node: previous && previous.node };
    messages.set(key, message);
    const isNew = !previous && data.messageId && data.senderType !== 'visitor' && !data.local;
    if (isNew && !panelOpen()) unread += 1;
    if (data.senderType !== 'visitor' && data.senderType !== 'system') {
      clearTimeout(typingTimer);
      el.typing.textContent = '';
    }
    const atBottom = el.log.scrollHeight - el.log.scrollTop - el.log.clientHeight < 80;
    drawMessage(message);
    if (atBottom || data.senderType === 'visitor') el.log.scrollTop = el.log.scrollHeight;
    render();
    if (isNew) markRead();
  }
  const sorted = () => [...messages.values()].sort((a, b) => a.at - b.at || a.seq - b.seq);
  function drawMessage(m) {
    const sender = m.senderType || 'system';
    const node = h('div', { class: 'msg from-' + sender, 'data-testid': 'rn-message', 'data-sender': sender, 'data-message-id': m.messageId, 'data-client-message-id': m.clientMessageId });
    const who = { visitor: t('you'), agent: t('agent'), ai: t('assistant') }[sender];
    if (who) node.append(h('span', { class: 'sr', text: who + ': ' }));
    let content;
    if (m.deletedAt) content = h('p', { class: 'bubble deleted', text: t('deleted') });
    else if (m.messageType === 'attachment' && (m.metadata || {}).attachmentId) {
      content = h('p', { class: 'bubble' }, h('button', { type: 'button', class: 'file', 'data-testid': 'rn-attachment', 'aria-label': t('download', { name: m.body }), onclick: () => download(m) }, icon(ICONS.attach), m.body));
    } else content = h('p', { class: 'bubble', text: m.body });
    content.dataset.testid = 'rn-body';
    node.append(content);
    const meta = h('p', { class: 'meta' });
    if (m.sentAt) meta.append(h('time', { datetime: m.sentAt, text: new Date(m.at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) }));
    if (m.editedAt && !m.deletedAt) meta.append(' · ' + t('edited'));
    if (sender === 'visitor') meta.append(h('span', { class: 'receipt', 'data-testid': 'rn-receipt' }));
    if (sender !== 'system') node.append(meta);
    if (m.node) m.node.replaceWith(node);
    m.node = node;
    const list = sorted();
    const next = list[list.indexOf(m) + 1];
    if (next && next.node && next.node.parentNode === el.log) el.log.insertBefore(node, next.node);
    else el.log.append(node);
  }
  function receipts() {
    const own = sorted().filter((m) => m.senderType === 'visitor');
    let readSeen = false;
    for (let i = own.length - 1; i >= 0; i--) {
      const m = own[i];
      readSeen = readSeen || readBy.has(m.messageId);
      const queued = !m.messageId && saved.outbox.some((item) => 'c:' + item.cid === 'c:' + m.clientMessageId);
      const status = m.failed ? 'failed' : !m.messageId ? (queued && !online() ? 'queued' : 'sending') : readSeen ? 'read' : 'sent';
      m.node.dataset.status = status;
      const label = m.node.querySelector('.receipt');
      if (label) label.textContent = (m.sentAt ? ' · ' : '') + (status === 'failed' ? t('failed', { reason: m.failed }) : t(status));
    }
  }
  function render() {
    if (!el.panel) return;
    const state = !online() ? 'offline' : boot && !chatAvailable() ? 'unavailable' : 'ready';
    host.dataset.state = state;
    host.dataset.live = String(live);
    el.status.textContent = state === 'offline' ? t('offline') : state === 'unavailable' ? t('unavailable') : closed() ? t('closedConversation') : '';
    el.status.hidden = !el.status.textContent;
    el.empty.hidden = messages.size > 0;
    el.handoff.hidden = !(aiConversation() && !handedOff());
    el.call.hidden = !callAvailable() || !!call;
    el.subtitle.textContent = routing && routing.humanFallbackAvailable === false ? t('subtitleOffline') : t('subtitleOnline');
    el.badge.hidden = !unread;
    el.badge.textContent = unread ? String(unread) : '';
    el.badge.setAttribute('aria-label', t('unread', { count: unread }));
    receipts();
  }
  function renderCall() {
    el.callPanel.hidden = !call;
    el.callState.textContent = call ? t(call.ui || 'callCalling') : '';
    el.callPanel.dataset.state = call ? call.state || 'new' : 'ended';
    render();
  }
  const service = (key) => ((boot && boot.services) || []).find((s) => s.key === key);
  const usable = (s) => !!(s && s.allowed && ['available', 'beta'].includes(s.status));
  const chatAvailable = () => usable(service('chat'));
  const callAvailable = () => usable(service('voice_call')) && typeof RTCPeerConnection === 'function';

  // --- start ------------------------------------------------------------------------------------------------------------
  async function strings() {
    const wanted = [script.dataset.lang, ...(navigator.languages || [navigator.language])].filter(Boolean);
    const tried = new Set();
    for (const lang of [...wanted.map((l) => l.toLowerCase()), ...wanted.map((l) => l.toLowerCase().split('-')[0]), 'en']) {
      if (tried.has(lang)) continue;
      tried.add(lang);
      try {
        const response = await fetch(`${BASE}/widget/v1/strings/${encodeURIComponent(lang)}.json`, { credentials: 'omit' });
        if (response.ok) return { lang, table: await response.json() };
      } catch (e) { /* next */ }
    }
    return { lang: 'en', table: {} };
  }
  const commands = {
    identify(token) {
      contextToken = token || '';
      if (saved.token && saved.identity !== subjectOf(contextToken)) forget(true);
      if (saved.token || panelOpen()) ensureSession().catch(() => render());
    },
    open: () => setOpen(true),
    close: () => setOpen(false),
    reset: () => forget(true),
  };
  const queue = (typeof window.Ringnity === 'function' && window.Ringnity.q) || [];
  window.Ringnity = (name, ...args) => commands[name] && commands[name](...args);

  async function start() {
    build();
    const found = await strings();
    T = found.table;
    host.lang = found.lang;
    root.host.setAttribute('lang', found.lang);
    applyStrings();
    try {
      boot = await api('GET', '/sdk/bootstrap?slug=' + encodeURIComponent(CLIENT), { auth: false });
      applyStrings();
    } catch (e) {
      console.error('Ringnity widget: bootstrap failed', e);
    }
    for (const item of saved.outbox) pending(item);
    for (const args of queue) window.Ringnity(...args);
    if (saved.token || saved.outbox.length) ensureSession().catch(() => render());
    window.addEventListener('online', () => {
      render();
      connect();
      if (saved.token || saved.outbox.length) ensureSession().then(flush, () => {});
    });
    window.addEventListener('offline', () => {
      closeSocket(); // resumed from the cursor when back
      render();
    });
    document.addEventListener('visibilitychange', markRead);
    render();
  }

  const CSS = `
:host{all:initial!important;position:fixed!important;right:20px!important;bottom:20px!important;z-index:2147483000!important;display:block!important;
 font:15px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif!important;color:#1d2330!important;direction:ltr;visibility:visible!important;opacity:1!important}
*{box-sizing:border-box;margin:0;padding:0;font:inherit;color:inherit}
[hidden]{display:none!important}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
button{cursor:pointer;border:0;background:none}
button:focus-visible,textarea:focus-visible,.log:focus-visible{outline:3px solid #f5a623;outline-offset:2px}
svg{width:22px;height:22px;fill:none;stroke:currentColor;stroke-width:2;stroke-linecap:round;stroke-linejoin:round}
.launcher{position:relative;width:56px;height:56px;border-radius:50%;background:#2747c8;color:#fff;display:grid;place-items:center;box-shadow:0 4px 14px rgba(0,0,0,.25);margin-left:auto}
.launcher svg{width:26px;height:26px}
.badge{position:absolute;top:-4px;right:-4px;min-width:20px;height:20px;padding:0 5px;border-radius:10px;background:#b3261e;color:#fff;font-size:12px;line-height:20px;text-align:center}
.panel{width:min(370px,calc(100vw - 40px));height:min(560px,calc(100vh - 110px));margin-bottom:12px;background:#fff;border-radius:14px;box-shadow:0 10px 40px rgba(0,0,0,.28);display:flex;flex-direction:column;overflow:hidden}
header{display:flex;align-items:center;gap:6px;padding:14px 12px 14px 16px;background:#2747c8;color:#fff}
.heading{flex:1;min-width:0}
h2{font-size:16px;font-weight:600}
.sub{font-size:13px;opacity:.95}
.icon{width:38px;height:38px;border-radius:8px;display:grid;place-items:center;color:inherit}
header .icon:hover{background:rgba(255,255,255,.15)}
.status{padding:8px 16px;background:#fff4d6;color:#4a3b00;font-size:13px}
.call{display:flex;align-items:center;justify-content:space-between;gap:8px;padding:8px 16px;background:#e7f5ec;color:#0f5132;font-size:14px}
.hangup{padding:6px 12px;border-radius:8px;background:#b3261e;color:#fff;font-weight:600}
.log{flex:1;overflow-y:auto;padding:12px 14px;display:flex;flex-direction:column;gap:8px}
.empty{padding:0 16px 12px;color:#4f5868;font-size:14px}
.msg{display:flex;flex-direction:column;max-width:85%}
.from-visitor{align-self:flex-end;align-items:flex-end}
.from-agent,.from-ai{align-self:flex-start}
.from-system{align-self:center;max-width:95%;text-align:center;color:#4f5868;font-size:13px}
.bubble{padding:8px 12px;border-radius:14px;background:#eef1f6;white-space:pre-wrap;overflow-wrap:anywhere}
.from-visitor .bubble{background:#2747c8;color:#fff}
.from-system .bubble{background:none;padding:2px}
.deleted{font-style:italic;opacity:.8}
.file{display:inline-flex;align-items:center;gap:6px;text-decoration:underline;color:inherit}
.file svg{width:16px;height:16px}
.meta{font-size:12px;color:#4f5868;margin-top:2px}
[data-status=failed] .meta{color:#b3261e}
.typing{min-height:20px;padding:0 16px;font-size:13px;color:#4f5868}
.handoff{margin:0 14px 8px;padding:6px 10px;border:1px solid #2747c8;border-radius:8px;color:#2747c8;font-size:14px;align-self:flex-start}
form{display:flex;align-items:flex-end;gap:4px;padding:10px;border-top:1px solid #dde2ea}
textarea{flex:1;resize:none;min-height:40px;max-height:120px;padding:9px 10px;border:1px solid #8a93a3;border-radius:8px;background:#fff}
form .icon{color:#2747c8}
form .primary{background:#2747c8;color:#fff}
@media (max-width:480px){:host{right:10px!important;bottom:10px!important}.panel{width:calc(100vw - 20px);height:calc(100vh - 90px)}}
`;

  if (document.body) start();
  else document.addEventListener('DOMContentLoaded', start);
})();
