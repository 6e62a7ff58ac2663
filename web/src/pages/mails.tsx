// The instance console's Mails tab (non-production environments): the mails the environment's
// Odoo sent, caught by its mail catcher instead of going out (GET /environments/{id}/mails?q=:
// from, to, subject, date, newest first), a search (debounced, sent as q), Refresh; a click
// shows one (GET /environments/{id}/mails/{mail_id}): its headers, its text, and its HTML in
// an iframe with `sandbox=""` (no scripts, no forms, an origin of its own) given as `srcdoc`,
// so nothing in a mail runs or reaches the console. Its own chunk.
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, get } from "../api";
import { Empty, ErrorBox, Loading, Modal, fmtBytes, fmtDate, timeAgo } from "../ui";
import "./access.css";

interface MailRow {
  id: string;
  from: string;
  to: string[];
  subject: string;
  date: string;
  size?: number;
}
interface Mail {
  id: string;
  from: string;
  to: string[];
  cc?: string[] | null;
  subject: string;
  date: string;
  text: string | null;
  html: string | null;
  headers?: Record<string, string>;
}

const LIMIT = 100;
const list = (v: string[] | string | null | undefined) => (Array.isArray(v) ? v.join(", ") : v || "");

export function MailsTab({ env }: { env: any }) {
  const [q, setQ] = useState("");
  const [data, setData] = useState<{ mails: MailRow[]; total: number; q: string } | null>(null);
  const [err, setErr] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(false);
  const [open, setOpen] = useState<MailRow | null>(null);
  const gen = useRef(0);
  function load(query: string) {
    const g = ++gen.current;
    setLoading(true);
    const qs = new URLSearchParams({ limit: String(LIMIT) });
    if (query) qs.set("q", query);
    get<{ mails: MailRow[]; total: number }>(`/environments/${env.id}/mails?${qs}`).then(
      (r) => {
        if (g !== gen.current) return;
        // newest first (berthd's order; kept so whatever the answer)
        const mails = [...(r.mails || [])].sort((a, b) => (Date.parse(b.date) || 0) - (Date.parse(a.date) || 0));
        setData({ mails, total: r.total ?? mails.length, q: query });
        setErr(null);
        setLoading(false);
      },
      (e) => {
        if (g !== gen.current) return;
        setErr(e as ApiError);
        setLoading(false);
      },
    );
  }
  useEffect(() => {
    const t = setTimeout(() => load(q.trim()), q ? 300 : 0);
    return () => clearTimeout(t);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [q, env.id]);

  return (
    <div class="mails-tab">
      <div class="panel-head">
        <h2>Mails</h2>
        <button type="button" class="btn small" disabled={loading} onClick={() => load(q.trim())}>Refresh</button>
      </div>
      <p class="small muted">Mail this environment sends never leaves it: its mail catcher keeps every message, listed here.</p>
      <div class="field mails-search">
        <label for="mails-q">Search</label>
        <input id="mails-q" type="search" value={q} autocomplete="off" spellcheck={false} placeholder="Sender, recipient or subject"
          onInput={(e) => setQ((e.target as HTMLInputElement).value)} />
      </div>
      {err ? (
        <ErrorBox error={err.status === 409 ? err.message : err} retry={() => load(q.trim())} />
      ) : !data ? (
        <Loading what="Reading the mail catcher" />
      ) : data.mails.length === 0 ? (
        <Empty>{data.q ? `No mail matches “${data.q}”.` : "No mail caught yet: mail Odoo sends from this environment appears here."}</Empty>
      ) : (
        <>
          <div class="table-wrap">
            <table class="mails" aria-label="Caught mails">
              <thead><tr><th>From</th><th>To</th><th>Subject</th><th>Date</th></tr></thead>
              <tbody>
                {data.mails.map((m) => (
                  <tr key={m.id} data-mail={m.id}>
                    <td>{m.from}</td>
                    <td>{list(m.to)}</td>
                    <td>
                      <button type="button" class="linklike" onClick={() => setOpen(m)} aria-label={`Open the mail “${m.subject || "(no subject)"}”`}>
                        {m.subject || <em>(no subject)</em>}
                      </button>
                    </td>
                    <td title={m.date}>{fmtDate(m.date)} <span class="muted small">({timeAgo(m.date)})</span></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <p class="small muted" data-testid="mails-count">
            {data.total > data.mails.length ? `The newest ${data.mails.length} of ${data.total} mails.` : `${data.mails.length} mail${data.mails.length === 1 ? "" : "s"}.`}
          </p>
        </>
      )}
      {open && <MailModal env={env} row={open} onClose={() => setOpen(null)} />}
    </div>
  );
}

function MailModal({ env, row, onClose }: { env: any; row: MailRow; onClose: () => void }) {
  const [mail, setMail] = useState<Mail | null>(null);
  const [err, setErr] = useState<ApiError | null>(null);
  const [view, setView] = useState<"html" | "text" | "headers">("html");
  useEffect(() => {
    get<Mail>(`/environments/${env.id}/mails/${encodeURIComponent(row.id)}`).then(
      (m) => {
        setMail(m);
        if (!m.html) setView("text");
      },
      (e) => setErr(e as ApiError),
    );
  }, [row.id]);
  const views: [typeof view, string][] = [
    ...(mail?.html ? ([["html", "HTML"]] as [typeof view, string][]) : []),
    ["text", "Text"],
    ["headers", "Headers"],
  ];
  return (
    <Modal title={row.subject || "(no subject)"} onClose={onClose} wide>
      <dl class="mail-head">
        <dt>From</dt><dd>{mail?.from ?? row.from}</dd>
        <dt>To</dt><dd>{list(mail?.to ?? row.to)}</dd>
        {mail?.cc && mail.cc.length > 0 && <><dt>Cc</dt><dd>{list(mail.cc)}</dd></>}
        <dt>Date</dt><dd>{fmtDate(mail?.date ?? row.date)}</dd>
        {row.size != null && <><dt>Size</dt><dd>{fmtBytes(row.size)}</dd></>}
      </dl>
      {err ? (
        <ErrorBox error={err} />
      ) : !mail ? (
        <Loading what="Reading the mail" />
      ) : (
        <>
          <div class="tabs subtabs" role="tablist" aria-label="Mail body">
            {views.map(([k, l]) => (
              <button key={k} type="button" role="tab" id={`mtab-${k}`} aria-selected={view === k} aria-controls="mail-body"
                tabIndex={view === k ? 0 : -1} class={view === k ? "active" : ""} onClick={() => setView(k)}>{l}</button>
            ))}
          </div>
          <div id="mail-body" role="tabpanel" aria-labelledby={`mtab-${view}`} class="mail-body">
            {view === "html" && mail.html ? (
              // sandbox="" : no scripts, no forms, no popups, an opaque origin; srcdoc: no URL fetched
              <iframe class="mail-html" title="The mail's HTML" sandbox="" srcdoc={mail.html} referrerpolicy="no-referrer" />
            ) : view === "headers" ? (
              <div class="table-wrap">
                <table class="mail-headers" aria-label="Mail headers">
                  <tbody>
                    {Object.entries(mail.headers || {}).map(([k, v]) => <tr key={k}><th scope="row">{k}</th><td>{String(v)}</td></tr>)}
                  </tbody>
                </table>
              </div>
            ) : (
              <pre class="mail-text" tabIndex={0} aria-label="The mail's text" data-testid="mail-text">{mail.text || "(no text part)"}</pre>
            )}
          </div>
        </>
      )}
      <div class="actions"><button type="button" class="btn" onClick={onClose}>Close</button></div>
    </Modal>
  );
}
