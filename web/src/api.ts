// The one place that knows how the console authenticates to berthd.
//
// The browser session is berthd's cookie session: login and setup are sent with
// `"session": "cookie"`, so the session token goes into an HttpOnly, SameSite=Strict cookie
// that scripts cannot read; it is never in this module's memory nor in web storage. What
// the console keeps (in memory only) is the session's anti-CSRF value, sent as `X-Berth-CSRF`
// with every request that changes something (berthd refuses them with 403 without it). After
// a reload, `resumeSession()` asks `GET /auth/session` for it: the cookie is sent by the
// browser, so the tab stays logged in.

let csrf: string | null = null;
let onUnauthorized: (() => void) | null = null;

function remember(r: { csrf_token?: string }) {
  csrf = r.csrf_token || null;
}
/** After a reload: whether the session cookie still holds a session (GET /auth/session). */
export async function resumeSession(): Promise<boolean> {
  try {
    const s = await get<{ auth: string; csrf_token?: string }>("/auth/session");
    remember(s);
    return csrf !== null;
  } catch (e) {
    if ((e as ApiError).status === 401) return false;
    throw e;
  }
}
export function onSessionLost(f: () => void) {
  onUnauthorized = f;
}

/** POST /auth/login as a cookie session; its anti-CSRF value is kept here. */
export async function login(email: string, password: string) {
  remember(await post("/auth/login", { email, password, session: "cookie" }));
}
/** POST /setup (first run); the administrator's cookie session as login. */
export async function setup(body: Record<string, string>) {
  remember(await post("/setup", { ...body, session: "cookie" }));
}
/** POST /auth/logout (berthd revokes the session and clears the cookie); forget it here
 * whatever berthd answers. */
export async function logout() {
  try {
    await post("/auth/logout");
  } catch {
    /* forgotten anyway */
  }
  csrf = null;
}

/**
 * Accepts an invitation (POST /invitations/{token}/accept). Logged in (the cookie session): the
 * caller joins. Logged out: berthd creates the account and answers a bearer session, which the
 * console never keeps: it is revoked at once (POST /auth/logout with it) and the new account
 * logs in as a cookie session instead. Returns the organization joined.
 */
export async function acceptInvitation(token: string, body: { name?: string; password?: string }, loggedIn: boolean) {
  const r = await post<any>(`/invitations/${encodeURIComponent(token)}/accept`, body);
  if (!loggedIn && r.access_token) {
    await fetch("/api/v1/auth/logout", {
      method: "POST",
      headers: { Authorization: "Bearer " + r.access_token, "Content-Type": "application/json" },
      body: "{}",
      credentials: "omit",
    }).catch(() => undefined);
    await login(r.user.email, body.password || "");
  }
  return r.organization as { id: string; name: string };
}

function authHeaders(method: string): Record<string, string> {
  return csrf && method !== "GET" && method !== "HEAD" ? { "X-Berth-CSRF": csrf } : {};
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
  const headers: Record<string, string> = { ...authHeaders(method) };
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
    if (r.status === 401 && csrf && onUnauthorized) {
      csrf = null;
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
  /** The stream ended: without `error` when berthd closed it; `status` is berthd's answer when
   * it refused the stream (0 when berthd could not be reached or the stream broke). */
  onEnd: (error?: string, status?: number) => void;
  /** berthd accepted the stream (200). */
  onOpen?: () => void;
  /** Bytes arrived (an event or a heartbeat comment). */
  onActivity?: () => void;
}

/**
 * Reads a Server-Sent Events stream with fetch() and a ReadableStream (the session cookie
 * goes with it; fetch rather than EventSource so that a refusal's status is seen and the
 * stream ends when the job does instead of reconnecting; the organization's stream reconnects
 * itself, see events.ts). `lastEventId` is sent as `Last-Event-ID` to resume. Returns a
 * function that closes the stream.
 */
export function streamEvents(path: string, h: SseHandlers, lastEventId?: string | null): () => void {
  const ctl = new AbortController();
  (async () => {
    let r: Response;
    const headers: Record<string, string> = { Accept: "text/event-stream" }; // the session cookie goes with it
    if (lastEventId) headers["Last-Event-ID"] = lastEventId; // resume after the last event seen
    try {
      r = await fetch("/api/v1" + path, {
        headers,
        credentials: "same-origin",
        signal: ctl.signal,
      });
    } catch {
      if (!ctl.signal.aborted) h.onEnd("berthd cannot be reached", 0);
      return;
    }
    if (!r.ok || !r.body) {
      if (r.status === 401 && csrf && onUnauthorized) {
        csrf = null;
        onUnauthorized();
      }
      h.onEnd(`berthd answered ${r.status}`, r.status);
      return;
    }
    h.onOpen?.();
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
        h.onActivity?.();
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
      if (!ctl.signal.aborted) h.onEnd("the stream was interrupted", 0);
    }
  })();
  return () => ctl.abort();
}

/**
 * Uploads a file as the raw request body (POST), with XMLHttpRequest so that the upload's
 * progress can be shown (fetch has no upload progress). The session cookie and the anti-CSRF
 * header go with it like any other request. Answers the parsed JSON, or throws an ApiError.
 * Returns the promise and a function that aborts the upload.
 */
export function upload<T = any>(path: string, file: Blob, contentType: string,
  onProgress: (sent: number, total: number) => void): { done: Promise<T>; abort: () => void } {
  const xhr = new XMLHttpRequest();
  const done = new Promise<T>((resolve, reject) => {
    xhr.open("POST", "/api/v1" + path);
    xhr.withCredentials = true;
    xhr.setRequestHeader("Content-Type", contentType);
    for (const [k, v] of Object.entries(authHeaders("POST"))) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onerror = () => reject(new ApiError(0, "NETWORK", "The upload was interrupted: berthd cannot be reached."));
    xhr.onabort = () => reject(new ApiError(0, "ABORTED", "The upload was cancelled."));
    xhr.onload = () => {
      let data: any = null;
      try {
        data = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        data = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) return resolve(data as T);
      const e = data && data.error;
      if (xhr.status === 401 && csrf && onUnauthorized) {
        csrf = null;
        onUnauthorized();
      }
      reject(e ? new ApiError(xhr.status, e.code, e.message, e.field)
        : new ApiError(xhr.status, "HTTP_" + xhr.status, `berthd answered ${xhr.status} ${xhr.statusText}`));
    };
    xhr.send(file);
  });
  return { done, abort: () => xhr.abort() };
}
