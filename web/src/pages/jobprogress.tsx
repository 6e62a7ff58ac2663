// A job's progress, inline: its stages as the job log marks them ("==> Stage" when one starts,
// "<== Stage (1.2s)" when it ends), each with its time, the running one with a spinner and
// its latest line (a streamed copy's bytes), then the end status and error; "Show the log"
// opens the full output (JobLog). Read from the job's event stream (GET /jobs/{id}/events),
// like the log modal. Used by the clone and refresh dialogs and the IDE password rotation;
// its own chunk (loaded with them).
import { useEffect, useState } from "preact/hooks";
import { streamEvents } from "../api";
import { StatusDot } from "../ui";
import "./access.css";
import { JobLog } from "./env";

interface Stage {
  name: string;
  seconds: number | null;
}
interface State {
  stages: Stage[];
  last: string | null;
  end: { status?: string; error?: string | null } | null;
  streamErr: string | null;
}

const START = /^==> (.+)$/;
const END = /^<== (.+) \(([0-9.]+)s\)$/;

export function JobProgress({ job, title, onEnd }: { job: { id: string; type: string }; title?: string; onEnd?: (status: string) => void }) {
  const [st, setSt] = useState<State>({ stages: [], last: null, end: null, streamErr: null });
  const [log, setLog] = useState(false);
  useEffect(() => {
    const stages: Stage[] = [];
    let last: string | null = null;
    let finished = false;
    let pending = false;
    const flush = () => {
      pending = false;
      setSt((s) => ({ ...s, stages: stages.map((x) => ({ ...x })), last }));
    };
    const close = streamEvents(`/jobs/${job.id}/events`, {
      onEvent: (ev, data) => {
        if (ev === "log") {
          for (const line of data.split("\n")) {
            const a = START.exec(line);
            const b = END.exec(line);
            if (a) {
              stages.push({ name: a[1], seconds: null });
              last = null;
            } else if (b) {
              const s = [...stages].reverse().find((x) => x.name === b[1] && x.seconds === null);
              if (s) s.seconds = parseFloat(b[2]);
              last = null;
            } else if (line.trim()) {
              last = line.trim();
            }
          }
          if (!pending) {
            pending = true;
            requestAnimationFrame(flush);
          }
        } else if (ev === "status") {
          finished = true;
          let end: State["end"];
          try {
            end = JSON.parse(data);
          } catch {
            end = { status: data };
          }
          flush();
          setSt((s) => ({ ...s, end }));
          onEnd?.(end?.status || "done");
        }
      },
      onEnd: (e) => {
        flush();
        if (e) setSt((s) => ({ ...s, streamErr: e }));
        else if (!finished) setSt((s) => ({ ...s, streamErr: "The stream ended before the job did: open the log to follow it." }));
      },
    });
    return close;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [job.id]);
  const { stages, last, end, streamErr } = st;
  const running = !end;
  return (
    <div class="job-progress" data-testid="job-progress" data-job={job.id} data-status={end ? end.status || "done" : "running"}>
      <div class="jp-head">
        <strong>{title || `The ${job.type} job`}</strong>
        <span aria-live="polite" data-testid="job-progress-state">
          {end ? <>Finished: <StatusDot status={end.status || "done"} /></> : streamErr ? <span class="muted small">{streamErr}</span>
            : <><span class="spinner" aria-hidden="true" /> Running…</>}
        </span>
        <button type="button" class="btn small" onClick={() => setLog(true)}>Show the log</button>
      </div>
      {end?.error && <div class="banner error small" role="alert">{end.error}</div>}
      <ol class="jp-stages" aria-label="Stages">
        {stages.length === 0 && running && <li class="muted">Waiting for the first stage…</li>}
        {stages.map((s, i) => {
          const current = s.seconds === null && running && i === stages.length - 1;
          const failed = s.seconds === null && !!end && end.status !== "done";
          return (
            <li key={i} data-stage={s.name} data-state={s.seconds !== null ? "done" : current ? "running" : failed ? "failed" : "done"}>
              <span class="jp-mark" aria-hidden="true">{s.seconds !== null ? "✓" : current ? "" : failed ? "✗" : "✓"}</span>
              {current && <span class="spinner" aria-hidden="true" />}
              <span class="jp-name">{s.name}</span>
              <span class="jp-time muted small">{s.seconds !== null ? `${s.seconds.toFixed(1)} s` : current ? "running" : failed ? "stopped here" : ""}</span>
              {current && last && <div class="jp-last small muted">{last}</div>}
            </li>
          );
        })}
      </ol>
      {log && <JobLog job={job} onClose={() => setLog(false)} />}
    </div>
  );
}
