// The organization event stream (GET /api/v1/orgs/{org_id}/events): one connection per
// logged-in page session for the current organization, shared by every page.
//
// Events: environment.status, job.queued, job.started, job.finished, server.status, and reset
// (the stream could not resume: reload what is shown). The connection reconnects with a
// growing delay (1 s doubling to 30 s) and resumes with Last-Event-ID. When the route answers
// 404 (a berthd without it) or 403, the pages fall back to polling (usePollWithoutStream).
// A stream silent past three heartbeats is taken for dead and reconnected.
import { useEffect, useRef, useState } from "preact/hooks";
import { streamEvents } from "./api";

export type OrgEvent = { type: string; data: any };
type Listener = (e: OrgEvent) => void;
/** "connecting": (re)connecting, pages wait; "live": events flow; "polling": no stream, pages poll */
export type Mode = "connecting" | "live" | "polling";

const TYPES = new Set(["environment.status", "job.queued", "job.started", "job.finished", "server.status", "alert.raised", "alert.resolved", "reset"]);
const listeners = new Set<Listener>();
const modeListeners = new Set<(m: Mode) => void>();
let mode: Mode = "polling";
let orgId: string | null = null;
let close: (() => void) | null = null;
let timer: ReturnType<typeof setTimeout> | null = null;
let lastId: string | null = null;
let delay = 1000;
let gen = 0;
let watchdog: ReturnType<typeof setTimeout> | null = null;
// berthd sends a heartbeat comment every 15 s: a stream silent for longer than this is a dead
// connection (a proxy or a network that dropped it without a word), closed and reconnected
const SILENCE_MS = 45000;

function setMode(m: Mode) {
  if (m === mode) return;
  mode = m;
  if (typeof document !== "undefined") document.documentElement.dataset.events = m; // for the browser tests
  modeListeners.forEach((f) => f(m));
}
function emit(e: OrgEvent) {
  listeners.forEach((f) => {
    try {
      f(e);
    } catch (x) {
      console.error(x);
    }
  });
}

function open(g: number, resumed: boolean) {
  if (g !== gen || !orgId) return;
  let opened = false;
  let ended = false;
  const end = (status?: number) => {
    if (ended || g !== gen) return;
    ended = true;
    if (watchdog) clearTimeout(watchdog);
    watchdog = null;
    close = null;
    if (status === 404 || status === 403 || status === 405 || status === 501) {
      setMode("polling"); // this berthd has no stream for us: the pages poll
      return;
    }
    if (status === 401) {
      setMode("polling");
      return; // the session ended: the login page takes over
    }
    // closed or broken: reconnect after a growing delay; meanwhile the pages keep what they
    // show and the resumed stream replays what was missed (or says reset)
    setMode("connecting");
    const wait = opened ? 1000 : delay;
    delay = opened ? 2000 : Math.min(delay * 2, 30000);
    timer = setTimeout(() => {
      timer = null;
      open(g, true);
    }, wait);
  };
  const alive = () => {
    if (watchdog) clearTimeout(watchdog);
    watchdog = setTimeout(() => {
      end(0);
      c(); // abort this connection: no onEnd follows an abort
    }, SILENCE_MS);
  };
  const c = streamEvents(
    `/orgs/${orgId}/events`,
    {
      onActivity: alive,
      onOpen: () => {
        if (g !== gen) return;
        alive();
        opened = true;
        setMode("live");
        // reconnected without an event to resume from: what happened in between is unknown
        if (resumed && !lastId) emit({ type: "reset", data: {} });
      },
      onEvent: (type, data, id) => {
        if (g !== gen) return;
        if (id) lastId = id;
        if (!TYPES.has(type)) return;
        let d: any = {};
        try {
          d = data ? JSON.parse(data) : {};
        } catch {
          return;
        }
        emit({ type, data: d });
      },
      onEnd: (_err, status) => end(status),
    },
    lastId,
  );
  if (!ended) close = c;
}

/** Connects to the organization's stream (closing any other); null disconnects. */
export function connectOrg(id: string | null) {
  if (id === orgId && (close || timer)) return;
  disconnect();
  orgId = id;
  if (!id) return;
  setMode("connecting");
  open(gen, false);
}
function disconnect() {
  gen++;
  if (close) close();
  if (timer) clearTimeout(timer);
  if (watchdog) clearTimeout(watchdog);
  close = null;
  timer = null;
  watchdog = null;
  lastId = null;
  delay = 1000;
  orgId = null;
  setMode("polling");
}

/** Calls `f` with each event of the current organization; returns the unsubscription. */
export function onOrgEvent(f: Listener): () => void {
  listeners.add(f);
  return () => {
    listeners.delete(f);
  };
}
export function streamMode(): Mode {
  return mode;
}
/** Calls `f` with each change of the stream's mode; returns the unsubscription. */
export function onStreamMode(f: (m: Mode) => void): () => void {
  modeListeners.add(f);
  return () => {
    modeListeners.delete(f);
  };
}

/** Calls `f` with each event of the current organization while the component is mounted. */
export function useOrgEvents(f: Listener) {
  const ref = useRef(f);
  ref.current = f;
  useEffect(() => onOrgEvent((e) => ref.current(e)), []);
}

/** The stream's mode, re-rendering on change. */
export function useStreamMode(): Mode {
  const [m, setM] = useState<Mode>(mode);
  useEffect(() => {
    setM(mode);
    return onStreamMode(setM);
  }, []);
  return m;
}

/** Polls `f` every `ms` only while the event stream is not available (the fallback). */
export function usePollWithoutStream(f: () => void, ms: number, enabled = true) {
  const m = useStreamMode();
  const ref = useRef(f);
  ref.current = f;
  useEffect(() => {
    if (m !== "polling" || !enabled) return;
    const t = setInterval(() => ref.current(), ms);
    return () => clearInterval(t);
  }, [m, ms, enabled]);
}
