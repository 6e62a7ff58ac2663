// The environment's Monitoring tab: CPU % and memory of the Odoo and database containers over
// 6h / 24h / 48h (GET /environments/{id}/metrics), with the jobs (deploys, restarts, stops…)
// as markers. uPlot is loaded on first use (a dynamic import: its own chunk), so the console's
// first load does not carry it. Zoom: drag to select, scroll to zoom around the pointer,
// double-click to reset. Clicking a point calls onPick(time) (the Logs tab, when wired).
import { useEffect, useRef, useState } from "preact/hooks";
import type uPlot from "uplot";
import { get } from "../api";
import { ErrorBox, Loading } from "../ui";
import "uplot/dist/uPlot.min.css";
import "./monitoring.css";

type Range = "6h" | "24h" | "48h";
const RANGES: Range[] = ["6h", "24h", "48h"];
const AUTO_MS = 30000;

interface Metrics {
  from: string;
  to: string;
  step: number;
  interval: number;
  timestamps: number[];
  containers: Record<string, Record<string, (number | null)[]>>;
  events: { ts: number; time: string; type: string; status: string; job_id: string }[];
}

let uplotMod: Promise<typeof uPlot> | null = null;
function loadUPlot() {
  if (!uplotMod)
    uplotMod = import("uplot").then((m) => m.default);
  return uplotMod;
}

function fmtBytes(v: number | null | undefined) {
  if (v == null) return "–";
  if (v >= 1024 ** 3) return (v / 1024 ** 3).toFixed(2) + " GB";
  return Math.round(v / 1024 ** 2) + " MB";
}

const EVENT_COLORS: Record<string, string> = { deploy: "#2e7d32", restart: "#e08a00", stop: "#c62828", start: "#1565c0" };

/** Vertical lines at the jobs' times, drawn after the series. */
function eventsPlugin(events: Metrics["events"]): uPlot.Plugin {
  return {
    hooks: {
      draw: (u: uPlot) => {
        const ctx = u.ctx;
        const { top, height } = u.bbox;
        ctx.save();
        ctx.lineWidth = 1 * devicePixelRatio;
        ctx.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio]);
        for (const e of events) {
          if (!e.ts) continue;
          const x = Math.round(u.valToPos(e.ts, "x", true));
          if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
          ctx.strokeStyle = EVENT_COLORS[e.type] || "#777";
          ctx.beginPath();
          ctx.moveTo(x, top);
          ctx.lineTo(x, top + height);
          ctx.stroke();
        }
        ctx.restore();
      },
    },
  };
}

/** Zoom with the mouse wheel around the pointer (uPlot zooms by drag on its own). */
function wheelZoomPlugin(): uPlot.Plugin {
  return {
    hooks: {
      ready: (u: uPlot) => {
        u.over.addEventListener(
          "wheel",
          (ev: WheelEvent) => {
            ev.preventDefault();
            const min = u.scales.x.min!, max = u.scales.x.max!;
            const at = u.posToVal(ev.offsetX, "x");
            const f = ev.deltaY < 0 ? 0.75 : 1 / 0.75;
            const full = u.data[0];
            const lo = Math.max(full[0], at - (at - min) * f);
            const hi = Math.min(full[full.length - 1], at + (max - at) * f);
            if (hi - lo > 60) u.setScale("x", { min: lo, max: hi });
          },
          { passive: false },
        );
      },
    },
  };
}

function Chart(props: {
  title: string;
  x: number[];
  series: { label: string; values: (number | null)[]; color: string }[];
  unit: "percent" | "bytes";
  events: Metrics["events"];
  onPick?: (ts: number) => void;
}) {
  const box = useRef<HTMLDivElement>(null);
  const [failed, setFailed] = useState<Error | null>(null);
  const empty = props.series.every((s) => s.values.every((v) => v == null));
  useEffect(() => {
    if (empty || !box.current) return;
    let plot: uPlot | null = null;
    let ro: ResizeObserver | null = null;
    let gone = false;
    loadUPlot().then(
      (UPlot) => {
        if (gone || !box.current) return;
        const el = box.current;
        const fmt = props.unit === "bytes" ? fmtBytes : (v: number | null) => (v == null ? "–" : v.toFixed(1) + " %");
        const opts: uPlot.Options = {
          width: Math.max(280, el.clientWidth),
          height: 180,
          plugins: [eventsPlugin(props.events), wheelZoomPlugin()],
          scales: { x: { time: true }, y: { range: (_u, _lo, hi) => [0, props.unit === "percent" ? Math.max(100, hi || 0) : (hi || 1) * 1.1] } },
          axes: [{}, { size: 70, values: (_u, ticks) => ticks.map((t) => fmt(t)) }],
          series: [
            {},
            ...props.series.map((s) => ({
              label: s.label, stroke: s.color, width: 1.5, spanGaps: false, value: (_u: uPlot, v: number | null) => fmt(v),
              // few samples in a long range (a fresh environment): dots, or nothing would show
              points: { show: s.values.filter((v) => v != null).length < 120, size: 4, fill: s.color },
            })),
          ],
          cursor: { drag: { x: true, y: false } },
        };
        plot = new UPlot(opts, [props.x, ...props.series.map((s) => s.values)] as uPlot.AlignedData, el);
        if (props.onPick) {
          const pick = props.onPick;
          plot.over.addEventListener("click", () => {
            const i = plot?.cursor.idx;
            if (i != null) pick(props.x[i]);
          });
        }
        ro = new ResizeObserver(() => plot?.setSize({ width: Math.max(280, el.clientWidth), height: 180 }));
        ro.observe(el);
      },
      (e) => setFailed(e),
    );
    return () => {
      gone = true;
      ro?.disconnect();
      plot?.destroy();
    };
  }, [props.x, props.series, props.events, empty]);
  return (
    <div class="mon-chart">
      <h4>{props.title}</h4>
      {failed && <ErrorBox error={failed} />}
      {empty ? <div class="none">No samples in this range.</div> : <div ref={box} aria-label={props.title} role="img" />}
    </div>
  );
}

function Group(props: { title: string; data: Metrics; container: string; onPick?: (ts: number) => void }) {
  const c = props.data.containers[props.container];
  const x = props.data.timestamps;
  if (!c)
    return (
      <section class="mon-group">
        <h3>{props.title}</h3>
        <p class="muted">No samples of this container in this range (the environment was not running).</p>
      </section>
    );
  return (
    <section class="mon-group">
      <h3>{props.title}</h3>
      <div class="mon-charts">
        <Chart title="CPU (% of its limit)" x={x} unit="percent" events={props.data.events} onPick={props.onPick}
          series={[{ label: "CPU", values: c.cpu_percent, color: "#1565c0" }]} />
        <Chart title="Memory" x={x} unit="bytes" events={props.data.events} onPick={props.onPick}
          series={[
            { label: "Used", values: c.memory_bytes, color: "#6a1b9a" },
            { label: "Limit", values: c.memory_limit_bytes, color: "#9e9e9e" },
          ]} />
      </div>
    </section>
  );
}

export function MonitoringTab({ env, onPick }: { env: any; onPick?: (ts: number) => void }) {
  const [range, setRange] = useState<Range>("6h");
  const [auto, setAuto] = useState(false);
  const [data, setData] = useState<Metrics | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [loading, setLoading] = useState(true);
  const [updated, setUpdated] = useState<Date | null>(null);
  const gen = useRef(0);
  const load = (quiet = false) => {
    const g = ++gen.current;
    if (!quiet) setLoading(true);
    get<Metrics>(`/environments/${env.id}/metrics?range=${range}`).then(
      (d) => {
        if (g !== gen.current) return;
        setData(d);
        setError(null);
        setLoading(false);
        setUpdated(new Date());
      },
      (e) => {
        if (g !== gen.current) return;
        setError(e);
        setLoading(false);
      },
    );
  };
  useEffect(() => {
    setData(null);
    load();
  }, [env.id, range]);
  useEffect(() => {
    if (!auto) return;
    const t = setInterval(() => load(true), AUTO_MS);
    return () => clearInterval(t);
  }, [auto, env.id, range]);
  return (
    <div class="monitoring">
      <div class="mon-bar">
        <button type="button" class="btn small" onClick={() => load()} disabled={loading}>Refresh</button>
        <label>
          <input type="checkbox" checked={auto} onChange={(e) => setAuto((e.target as HTMLInputElement).checked)} /> Auto-refresh (30 s)
        </label>
        <span class="seg" role="group" aria-label="Time range">
          {RANGES.map((r) => (
            <button key={r} type="button" aria-pressed={range === r} onClick={() => setRange(r)}>{r}</button>
          ))}
        </span>
        {updated && <span class="muted">Updated {updated.toLocaleTimeString()}{data ? ` · a point every ${data.step} s` : ""}</span>}
      </div>
      {error && <ErrorBox error={error} retry={() => load()} />}
      {loading && !data && !error && <Loading what="Loading metrics" />}
      {data && (
        <>
          <Group title="Odoo container" data={data} container="odoo" onPick={onPick} />
          <Group title="Database container" data={data} container="db" onPick={onPick} />
          {data.events.length > 0 && (
            <p class="muted">
              Markers: {data.events.length} job{data.events.length > 1 ? "s" : ""} in this range (green deploy, amber restart, red stop, blue start).
            </p>
          )}
        </>
      )}
    </div>
  );
}

export default MonitoringTab;
