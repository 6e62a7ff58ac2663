// The one place that knows how the console authenticates to berthd.
//
// This increment: the bearer token of POST /api/v1/auth/login (or /setup) is kept in this
// module's memory only — never localStorage or sessionStorage — so a reload asks to log in
// again. The cookie session of the next increment changes only this module: `authHeaders()`
// sends the anti-CSRF header instead of Authorization (requests already go with
// `credentials: "same-origin"`), `remember()` keeps nothing, and `mayHaveSession()` answers
// true (an HttpOnly cookie is invisible to scripts: GET /me tells).

let token: string | null = null;
let onUnauthorized: (() => void) | null = null;

function remember(r: { access_token?: string }) {
  token = r.access_token || null;
}
/** Whether to ask GET /me before showing the login page. */
export function mayHaveSession() {
  return token !== null;
}
export function onSessionLost(f: () => void) {
  onUnauthorized = f;
}

/** POST /auth/login; the session is kept here. */
export async function login(email: string, password: string) {
  remember(await post("/auth/login", { email, password }));
}
/** POST /setup (first run); the administrator's session is kept here. */
export async function setup(body: Record<string, string>) {
  remember(await post("/setup", body));
}
/** POST /auth/logout, and forget the session whatever berthd answers. */
export async function logout() {
  try {
    await post("/auth/logout");
  } catch {
    /* forgotten anyway */
  }
  token = null;
}

function authHeaders(): Record<string, string> {
  return token ? { Authorization: "Bearer " + token } : {};
}

/** An error answered by berthd: {"error": {"code", "message", "field"?}}. */
export class ApiError extends Error {
  status: number;
  code: string;
  field?: string;
  constructor(status: number, code: string, message: string, field?: string) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

export async function api<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { ...authHeaders() };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let r: Response;
  try {
    r = await fetch("/api/v1" + path, {
      method,
      headers,
      body: body !== undefined ? JSON.stringify(body) : undefined,
      credentials: "same-origin",
    });
  } catch {
    throw new ApiError(0, "NETWORK", "berthd cannot be reached: is it running?");
  }
  if (r.status === 204) return undefined as T;
  const text = await r.text();
  let data: any = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!r.ok) {
    const e = data && data.error;
    const err = e
      ? new ApiError(r.status, e.code, e.message, e.field)
      : new ApiError(r.status, "HTTP_" + r.status, `berthd answered ${r.status} ${r.statusText}`);
    if (r.status === 401 && token && onUnauthorized) {
      token = null;
      onUnauthorized();
    }
    throw err;
  }
  return data as T;
}

export const get = <T = any>(p: string) => api<T>("GET", p);
export const post = <T = any>(p: string, b: unknown = {}) => api<T>("POST", p, b);
export const patch = <T = any>(p: string, b: unknown) => api<T>("PATCH", p, b);
export const put = <T = any>(p: string, b: unknown) => api<T>("PUT", p, b);
export const del = <T = any>(p: string, b?: unknown) => api<T>("DELETE", p, b);

export interface SseHandlers {
  onEvent: (event: string, data: string, id: string | null) => void;
  onEnd: (error?: string) => void;
}

/**
 * Reads a Server-Sent Events stream with fetch() and a ReadableStream (EventSource cannot
 * send an Authorization header). Returns a function that closes the stream.
 */
export function streamEvents(path: string, h: SseHandlers): () => void {
  const ctl = new AbortController();
  (async () => {
    let r: Response;
    try {
      r = await fetch("/api/v1" + path, {
        headers: { ...authHeaders(), Accept: "text/event-stream" },
        credentials: "same-origin",
        signal: ctl.signal,
      });
    } catch {
      if (!ctl.signal.aborted) h.onEnd("berthd cannot be reached");
      return;
    }
    if (!r.ok || !r.body) {
      h.onEnd(`berthd answered ${r.status}`);
      return;
    }
    const reader = r.body.getReader();
    const dec = new TextDecoder();
    let buf = "";
    let ev = "message";
    let data: string[] = [];
    let id: string | null = null;
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        let nl: number;
        while ((nl = buf.indexOf("\n")) >= 0) {
          let line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.endsWith("\r")) line = line.slice(0, -1);
          if (line === "") {
            if (data.length) h.onEvent(ev, data.join("\n"), id);
            ev = "message";
            data = [];
            continue;
          }
          if (line.startsWith(":")) continue;
          const c = line.indexOf(":");
          const field = c < 0 ? line : line.slice(0, c);
          let val = c < 0 ? "" : line.slice(c + 1);
          if (val.startsWith(" ")) val = val.slice(1);
          if (field === "event") ev = val;
          else if (field === "data") data.push(val);
          else if (field === "id") id = val;
        }
      }
      h.onEnd();
    } catch {
      if (!ctl.signal.aborted) h.onEnd("the stream was interrupted");
    }
  })();
  return () => ctl.abort();
}
