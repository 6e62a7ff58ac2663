// The Logs tab of the instance console (docs/api.md, "Environment logs"): the last lines of a
// container's log, a live stream, a download; filters by container, level, text and time.
// Lines outlive the containers (a hard restart or a redeploy keeps them).
import { useEffect, useRef, useState } from "preact/hooks";
import { streamEvents } from "../api";
import { Empty } from "../ui";

interface LogLine {
  id: string;
  ts: string;
  line: string;
  container: string;
  level: string | null;
}

const MAX_SHOWN = 5000; // lines kept on screen; older ones scroll away
const LEVELS = ["debug", "info", "warning", "error", "critical"];
const CONTAINERS = ["odoo", "db", "pgbouncer", "replica", "edge"];
const RANGES: [string, number][] = [
  ["Last 15 minutes", 15 * 60],
  ["Last hour", 3600],
  ["Last 6 hours", 6 * 3600],
  ["Last 24 hours", 24 * 3600],
  ["Last 48 hours", 48 * 3600],
  ["Any time", 0],
];
const INTERVALS = [5, 10, 30, 60];
const LEVEL_COLOR: Record<string, string> = {
  debug: "#8b98a8",
  info: "#d7e0ea",
  warning: "#f5c451",
  error: "#ff7b72",
  critical: "#ff4d6d",
};

/** Query string of the filters (tail only for the list). */
function params(f: Filters, extra: Record<string, string | undefined> = {}) {
  const p = new URLSearchParams();
  if (f.container !== "odoo") p.set("container", f.container);
  if (f.level) p.set("level", f.level);
  if (f.q) p.set("q", f.q);
  const since = f.since || (f.range ? new Date(Date.now() - f.range * 1000).toISOString() : "");
  if (since) p.set("since", since);
  for (const [k, v] of Object.entries(extra)) if (v !== undefined && v !== "") p.set(k, v);
  const s = p.toString();
  return s ? "?" + s : "";
}

interface Filters {
  container: string;
  level: string;
  q: string;
  range: number; // seconds back from now; 0: any time
  since: string; // an explicit window (from the monitoring charts), ISO 8601
  until: string;
}

/** GET .../logs as JSON lines (the answer is not one JSON document). */
async function fetchLines(envId: string, f: Filters, tail: number): Promise<LogLine[]> {
  const q = params(f, { tail: String(tail), until: f.until || undefined });
  const r = await fetch(`/api/v1/environments/${envId}/logs${q}`, {
    headers: { Accept: "application/x-ndjson" },
    credentials: "same-origin",
  });
  const text = await r.text();
  if (!r.ok) {
    let msg = `berthd answered ${r.status}`;
    try {
      const e = JSON.parse(text).error;
      if (e) msg = e.message;
    } catch {
      /* not JSON */
    }
    throw new Error(msg);
  }
  const out: LogLine[] = [];
  for (const l of text.split("\n")) if (l) out.push(JSON.parse(l));
  return out;
}

function fmtTime(ts: string) {
  // 2026-12-05T14:12:00.123456789Z -> 2026-12-05 14:12:00.123
  return ts.replace("T", " ").replace(/(\.\d{3})\d*Z$/, "$1");
}

export function LogsTab({ env, since, until }: { env: any; since?: string; until?: string }) {
  const [f, setF] = useState<Filters>({
    container: "odoo",
    level: "",
    q: "",
    range: since ? 0 : 3600,
    since: since || "",
    until: until || "",
  });
  const [tail, setTail] = useState(500);
  const [lines, setLines] = useState<LogLine[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [streaming, setStreaming] = useState(false);
  const [auto, setAuto] = useState(false);
  const [interval, setIntervalS] = useState(10);
  const [updated, setUpdated] = useState<Date | null>(null);
  const [follow, setFollow] = useState(true);
  const pre = useRef<HTMLPreElement>(null);
  const lastId = useRef<string | null>(null);

  // a window chosen elsewhere (a point of a monitoring chart) replaces the filter's
  useEffect(() => {
    if (since || until) setF((x) => ({ ...x, since: since || "", until: until || "", range: 0 }));
  }, [since, until]);

  const refresh = async () => {
    setLoading(true);
    try {
      const got = await fetchLines(env.id, f, tail);
      setLines(got);
      lastId.current = got.length ? got[got.length - 1].id : null;
      setError(null);
      setUpdated(new Date());
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setLoading(false);
    }
  };

  // a refresh when the filters change (not while streaming: the stream restarts instead)
  useEffect(() => {
    if (!streaming) refresh();
  }, [env.id, f.container, f.level, f.q, f.range, f.since, f.until, tail]);

  useEffect(() => {
    if (!auto || streaming) return;
    const t = setInterval(refresh, interval * 1000);
    return () => clearInterval(t);
  }, [auto, interval, streaming, env.id, f.container, f.level, f.q, f.range, f.since, f.until, tail]);

  // the live stream: resumes after the last line shown, and again when berthd ends it
  useEffect(() => {
    if (!streaming) return;
    let closed = false;
    let close = () => {};
    let pending: LogLine[] = [];
    let scheduled = false;
    const flush = () => {
      scheduled = false;
      if (!pending.length) return;
      const add = pending;
      pending = [];
      setLines((cur) => {
        const next = cur.concat(add);
        return next.length > MAX_SHOWN ? next.slice(next.length - MAX_SHOWN) : next;
      });
      setUpdated(new Date());
    };
    const open = () => {
      const extra: Record<string, string | undefined> = lastId.current ? { after: lastId.current } : { tail: "0" };
      // the stream takes no until; since only when nothing is shown yet
      const q = params({ ...f, until: "", since: lastId.current ? "" : f.since, range: lastId.current ? 0 : f.range }, extra);
      close = streamEvents(`/environments/${env.id}/logs/stream${q}`, {
        onEvent: (ev, data, id) => {
          if (ev !== "log") return;
          try {
            const l: LogLine = JSON.parse(data);
            pending.push(l);
            lastId.current = id || l.id;
          } catch {
            return;
          }
          if (!scheduled) {
            scheduled = true;
            requestAnimationFrame(flush);
          }
        },
        onEnd: (err) => {
          flush();
          if (closed) return;
          if (err) {
            setError(err);
            setStreaming(false);
          } else {
            setTimeout(() => !closed && open(), 1000); // ended by berthd: resume
          }
        },
      });
    };
    setError(null);
    open();
    return () => {
      closed = true;
      close();
    };
  }, [streaming, env.id, f.container, f.level, f.q]);

  useEffect(() => {
    const el = pre.current;
    if (el && follow) el.scrollTop = el.scrollHeight;
  }, [lines, follow]);

  const download = `/api/v1/environments/${env.id}/logs/download${params(f, { until: f.until || undefined })}`;
  const set = (k: keyof Filters, v: string | number) => setF((x) => ({ ...x, [k]: v }));

  return (
    <section aria-label="Logs" data-testid="logs-tab">
      <div class="panel-head" style={{ marginBottom: "0.5rem" }}>
        <div class="row-actions">
          <label class="small">
            Container{" "}
            <select value={f.container} onChange={(e) => set("container", (e.target as HTMLSelectElement).value)} aria-label="Container">
              {CONTAINERS.map((c) => <option value={c}>{c}</option>)}
            </select>
          </label>
          <label class="small">
            Level{" "}
            <select value={f.level} onChange={(e) => set("level", (e.target as HTMLSelectElement).value)} aria-label="Level">
              <option value="">all</option>
              {LEVELS.map((l) => <option value={l}>{l} and above</option>)}
            </select>
          </label>
          <label class="small">
            Time{" "}
            {f.since || f.until ? (
              <span>
                {f.since ? fmtTime(f.since) : "…"} – {f.until ? fmtTime(f.until) : "now"}{" "}
                <button type="button" class="btn small gray" onClick={() => setF((x) => ({ ...x, since: "", until: "", range: 3600 }))}>
                  Clear window
                </button>
              </span>
            ) : (
              <select value={String(f.range)} onChange={(e) => set("range", Number((e.target as HTMLSelectElement).value))} aria-label="Time range">
                {RANGES.map(([label, s]) => <option value={String(s)}>{label}</option>)}
              </select>
            )}
          </label>
          <label class="small">
            Lines{" "}
            <select value={String(tail)} onChange={(e) => setTail(Number((e.target as HTMLSelectElement).value))} aria-label="Lines">
              {[100, 500, 2000, 10000].map((n) => <option value={String(n)}>{n}</option>)}
            </select>
          </label>
          <input
            type="search"
            placeholder="Search"
            aria-label="Search the log"
            value={f.q}
            onChange={(e) => set("q", (e.target as HTMLInputElement).value)}
          />
        </div>
        <div class="row-actions">
          <button type="button" class={"btn small " + (streaming ? "amber" : "green")} onClick={() => setStreaming(!streaming)} aria-pressed={streaming}>
            {streaming ? "Stop" : "Stream"}
          </button>
          <button type="button" class="btn small" onClick={refresh} disabled={streaming || loading}>
            Refresh
          </button>
          <button type="button" class="btn small gray" onClick={() => setLines([])}>
            Clear
          </button>
          <a class="btn small" href={download} download>
            Download
          </a>
          <label class="small">
            <input type="checkbox" checked={auto} disabled={streaming} onChange={(e) => setAuto((e.target as HTMLInputElement).checked)} /> Auto-refresh
          </label>
          <select value={String(interval)} disabled={!auto || streaming} onChange={(e) => setIntervalS(Number((e.target as HTMLSelectElement).value))} aria-label="Auto-refresh interval">
            {INTERVALS.map((s) => <option value={String(s)}>every {s} s</option>)}
          </select>
        </div>
      </div>
      {error ? <p class="small" role="alert" style={{ color: "#b42318" }}>{error}</p> : null}
      {lines.length === 0 && !loading && !error ? <Empty>No log lines {streaming ? "yet: waiting for new ones" : "match"}.</Empty> : null}
      <pre
        class="log"
        ref={pre}
        tabIndex={0}
        aria-label="Log lines"
        data-testid="logs-lines"
        onScroll={(e) => {
          const el = e.currentTarget as HTMLPreElement;
          setFollow(el.scrollTop + el.clientHeight >= el.scrollHeight - 4);
        }}
      >
        {lines.map((l) => (
          <div key={l.id} style={{ color: LEVEL_COLOR[l.level || "info"] || LEVEL_COLOR.info }}>
            <span style={{ color: "#93a1b3" }}>{fmtTime(l.ts)} </span>
            {l.line}
          </div>
        ))}
      </pre>
      <p class="small muted" aria-live="polite" data-testid="logs-footer">
        {lines.length} line{lines.length === 1 ? "" : "s"}
        {streaming ? " · streaming" : ""}
        {loading ? " · loading…" : ""}
        {updated ? ` · updated ${updated.toLocaleTimeString()}` : ""}
      </p>
    </section>
  );
}
