// The inbox's REST client: the workspace login, the agent runtime token it is traded for, and the
// Agent CRM routes. It decides nothing: each answer is the API's data or an ApiError carrying the
// API's own code and message, which the page shows as they are.

const SESSION_KEY = "ringnity.inbox.session";
const AGENT_TOKEN_SECONDS = 3600; // the longest createWorkspaceAgentToken grants; renewed before it ends
const RENEW_MARGIN_MS = 120_000;

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details || [];
  }

  describe() {
    return this.details.length ? `${this.message} ${this.details.join(" ")}` : this.message;
  }
}

async function call(base, method, path, { body, headers = {} } = {}) {
  let response;
  try {
    response = await fetch(base + path, {
      method,
      headers: { Accept: "application/json", ...(body === undefined ? {} : { "Content-Type": "application/json" }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch {
    throw new ApiError(0, "NETWORK", "The server cannot be reached; check the connection.");
  }
  let payload = null;
  try {
    payload = await response.json();
  } catch {
    payload = null;
  }
  if (!response.ok || !payload || payload.success === false) {
    const message = payload?.message || `The server answered ${response.status}.`;
    throw new ApiError(response.status, payload?.code || "HTTP_" + response.status, message, payload?.details);
  }
  return payload.data;
}

export class InboxApi {
  constructor(base) {
    this.base = base;
    this.session = JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null");
    this.onSignedOut = () => {};
  }

  get signedIn() {
    return Boolean(this.session?.agentToken);
  }

  get agent() {
    return this.session?.agent;
  }

  get agentToken() {
    return this.session?.agentToken;
  }

  save() {
    if (this.session) sessionStorage.setItem(SESSION_KEY, JSON.stringify(this.session));
    else sessionStorage.removeItem(SESSION_KEY);
  }

  async signIn({ workspace, username, password }) {
    const headers = workspace ? { "X-Ringnity-Tenant": workspace } : {};
    const login = await call(this.base, "POST", "/auth/workspace-login", { body: { username, password }, headers });
    // The refresh token stays in its httpOnly cookie (workspaceRefreshToken, path /api/auth/): never in script.
    this.session = { workspace, access: login.accessToken, agent: login.agent };
    await this.exchange();
  }

  async exchange() {
    const issued = await call(this.base, "POST", "/auth/workspace-agent-token", {
      body: { expiresIn: AGENT_TOKEN_SECONDS },
      headers: { Authorization: `Bearer ${this.session.access}` },
    });
    this.session.agentToken = issued.token;
    this.session.agentTokenEndsAt = Date.now() + issued.expiresIn * 1000;
    this.save();
  }

  // A new workspace access token (the refresh cookie rotates), then a new agent token bound to it. One
  // renewal at a time: a rotated refresh token presented twice is a replay, which ends the whole login.
  renew() {
    this.renewing ??= (async () => {
      const pair = await call(this.base, "POST", "/auth/workspace-refresh", { body: {} });
      this.session.access = pair.accessToken;
      await this.exchange();
      return this.session.agentToken;
    })().finally(() => {
      this.renewing = null;
    });
    return this.renewing;
  }

  async freshToken() {
    if (this.session && Date.now() > this.session.agentTokenEndsAt - RENEW_MARGIN_MS) await this.renew();
    return this.agentToken;
  }

  // logoutWorkspace revokes the login in the refresh cookie, which ends the agent token traded for it.
  async signOut() {
    this.session = null;
    this.save();
    try {
      await call(this.base, "POST", "/auth/workspace-logout", { body: {} });
    } catch {
      // signed out here either way; the session ends with its refresh token's lifetime
    }
  }

  // An Agent CRM (or call) route with the agent token; an expired token is renewed once.
  async agentCall(method, path, body) {
    if (!this.session) throw new ApiError(401, "AUTH_REQUIRED", "Sign in again.");
    const headers = () => ({ "X-Ringnity-SDK-Session": this.session.agentToken });
    try {
      await this.freshToken();
      return await call(this.base, method, path, { body, headers: headers() });
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401 || !this.session) throw error;
      try {
        await this.renew();
      } catch (renewError) {
        this.session = null;
        this.save();
        this.onSignedOut(renewError);
        throw renewError;
      }
      return call(this.base, method, path, { body, headers: headers() });
    }
  }

  get(path) {
    return this.agentCall("GET", path);
  }

  post(path, body = {}) {
    return this.agentCall("POST", path, body);
  }

  patch(path, body) {
    return this.agentCall("PATCH", path, body);
  }
}
