// Shared pieces: links, modals, toasts, status dots, bars, loading/error/empty states.
import { ComponentChildren, JSX } from "preact";
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { ApiError } from "./api";
import { onLinkClick } from "./router";

export function Link(props: JSX.HTMLAttributes<HTMLAnchorElement> & { href: string }) {
  const { href, ...rest } = props;
  return <a {...rest} href={href} onClick={(e) => onLinkClick(e as unknown as MouseEvent, href)} />;
}

/** Loads data; `reload()` fetches again (quietly: keeping what is shown until the answer),
 * `mutate(f)` changes what is shown in place (a live event). */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]) {
  const [state, setState] = useState<{ data?: T; error?: ApiError | Error; loading: boolean }>({ loading: true });
  const gen = useRef(0);
  const reload = useCallback(
    (quiet = false) => {
      const g = ++gen.current;
      if (!quiet) setState((s) => ({ ...s, loading: true, error: undefined }));
      return load().then(
        (data) => {
          if (g === gen.current) setState({ data, loading: false });
        },
        (error) => {
          if (g === gen.current) setState((s) => ({ data: quiet ? s.data : undefined, error, loading: false }));
        },
      );
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    deps,
  );
  useEffect(() => {
    reload();
  }, [reload]);
  const mutate = useCallback((f: (d: T) => T) => {
    setState((s) => (s.data === undefined ? s : { ...s, data: f(s.data) }));
  }, []);
  return { ...state, reload, mutate };
}

export function Loading({ what = "Loading" }: { what?: string }) {
  return (
    <p class="loading" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" /> {what}…
    </p>
  );
}

export function ErrorBox({ error, retry }: { error: Error | ApiError | string; retry?: () => void }) {
  const e = typeof error === "string" ? null : (error as ApiError);
  let msg = typeof error === "string" ? error : error.message;
  if (e && e.status === 403) msg = "You do not have permission to see this. " + msg;
  if (e && e.status === 404) msg = "Not found. " + msg;
  return (
    <div class="banner error" role="alert">
      <span>{msg}</span>
      {retry && (
        <button type="button" class="btn small" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <div class="empty">{children}</div>;
}

/** A page state: loading, error, or the content. */
export function Async<T>(props: {
  s: { data?: T; error?: Error; loading: boolean; reload: (q?: boolean) => unknown };
  what?: string;
  children: (d: T) => ComponentChildren;
}) {
  const { s } = props;
  if (s.error && s.data === undefined) return <ErrorBox error={s.error} retry={() => s.reload()} />;
  if (s.data === undefined) return <Loading what={props.what} />;
  return <>{props.children(s.data)}</>;
}

export function Modal(props: {
  title: string;
  onClose: () => void;
  children: ComponentChildren;
  wide?: boolean;
}) {
  const ref = useRef<HTMLDivElement>(null);
  // focus moves into the dialog before the browser paints it: a user (or a test) typing at once
  // into a field of the dialog never has the keystrokes moved to the first field by a late focus
  useLayoutEffect(() => {
    const prev = document.activeElement as HTMLElement | null;
    const el = ref.current!;
    const first = el.querySelector<HTMLElement>("[autofocus], input, select, textarea, button:not(.close)");
    (first || el).focus();
    const key = (e: KeyboardEvent) => {
      if (e.key === "Escape") props.onClose();
      if (e.key === "Tab") {
        const f = [...el.querySelectorAll<HTMLElement>("button, a[href], input, select, textarea")].filter(
          (x) => !(x as HTMLInputElement).disabled,
        );
        if (!f.length) return;
        const a = f[0], b = f[f.length - 1];
        if (e.shiftKey && document.activeElement === a) {
          e.preventDefault();
          b.focus();
        } else if (!e.shiftKey && document.activeElement === b) {
          e.preventDefault();
          a.focus();
        }
      }
    };
    document.addEventListener("keydown", key);
    return () => {
      document.removeEventListener("keydown", key);
      prev?.focus?.();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  const id = "m-" + props.title.replace(/\W+/g, "-").toLowerCase();
  return (
    <div class="overlay" onClick={(e) => e.target === e.currentTarget && props.onClose()}>
      <div class={"modal" + (props.wide ? " wide" : "")} role="dialog" aria-modal="true" aria-labelledby={id} ref={ref} tabIndex={-1}>
        <div class="modal-head">
          <h2 id={id}>{props.title}</h2>
          <button type="button" class="close" aria-label="Close dialog" onClick={props.onClose}>
            ×
          </button>
        </div>
        {props.children}
      </div>
    </div>
  );
}

// Toasts: a module-level list, shown by <Toasts/> in the shell.
type Toast = { id: number; text: string; kind: "ok" | "error" };
let toasts: Toast[] = [];
const toastListeners = new Set<(t: Toast[]) => void>();
let toastSeq = 0;
export function toast(text: string, kind: "ok" | "error" = "ok") {
  const t = { id: ++toastSeq, text, kind };
  toasts = [...toasts, t].slice(-3);
  toastListeners.forEach((f) => f(toasts));
  setTimeout(() => {
    toasts = toasts.filter((x) => x.id !== t.id);
    toastListeners.forEach((f) => f(toasts));
  }, 5000);
}
export function Toasts() {
  const [list, setList] = useState<Toast[]>(toasts);
  useEffect(() => {
    toastListeners.add(setList);
    return () => {
      toastListeners.delete(setList);
    };
  }, []);
  return (
    <div class="toasts" aria-live="polite" role="status">
      {list.map((t) => (
        <div key={t.id} class={"toast " + t.kind}>
          {t.text}
        </div>
      ))}
    </div>
  );
}

const STATUS_CLASS: Record<string, string> = {
  running: "green", done: "green",
  pending: "gray", queued: "gray", cancelled: "gray",
  deploying: "blue", provisioning: "blue", removing: "amber",
  stopped: "amber", offline: "red", error: "red", failed: "red",
};

export function StatusDot({ status }: { status: string }) {
  const label = status.charAt(0).toUpperCase() + status.slice(1);
  const busy = status === "deploying" || status === "removing" || status === "provisioning";
  return (
    <span class="status" data-status={status}>
      <span class={"dot " + (STATUS_CLASS[status] || "gray") + (busy ? " pulse" : "")} aria-hidden="true" />
      <span class="status-label">{label}</span>
    </span>
  );
}

const STAGE: Record<string, [string, string]> = {
  production: ["Production", "green"],
  staging: ["Staging", "amber"],
  development: ["Dev", "blue"],
};
export function StageBadge({ type }: { type: string }) {
  const [label, cls] = STAGE[type] || [type, "gray"];
  return <span class={"badge " + cls}>{label}</span>;
}

/** The HTTPS state of an environment's URL (its tls_status and tls_error): a badge, or "HTTP
 * only" and why; nothing without a status (a berthd that does not say). */
export function TlsState({ status, error }: { status?: string | null; error?: string | null }) {
  if (!status) return null;
  // a long reason (an ACME client's output) is cut short; the whole of it in the tooltip
  const err = error || "";
  const why = err ? `: ${err.length > 140 ? err.slice(0, 137) + "…" : err}` : "";
  if (status === "active") return <span class="badge green tls" data-tls={status} title="Served over HTTPS with a valid certificate">HTTPS</span>;
  if (status === "partial")
    return <span class="tls" data-tls={status} title={err || undefined}><span class="badge amber">HTTPS (some domains)</span>{why && <span class="tls-why">{why.slice(2)}</span>}</span>;
  if (status === "pending") return <span class="badge gray tls" data-tls={status} title="A certificate is being issued; HTTP meanwhile">HTTPS pending</span>;
  return <span class="tls tls-http" data-tls={status} title={err || undefined}>HTTP only{why || (status === "none" ? ": no certificate yet" : "")}</span>;
}

/** A usage bar: used of quota, red when over. */
export function Bar(props: { label: string; used: number; quota: number; unit?: string; fmt?: (n: number) => string }) {
  const f = props.fmt || ((n: number) => String(n));
  const pct = props.quota > 0 ? (props.used / props.quota) * 100 : props.used > 0 ? 100 : 0;
  const over = props.used > props.quota;
  return (
    <div class="bar-row">
      <div class="bar-label">
        <span>{props.label}</span>
        <span>
          {f(props.used)} / {f(props.quota)}
          {props.unit ? " " + props.unit : ""}
        </span>
      </div>
      <div class={"bar" + (over ? " over" : pct >= 80 ? " high" : "")} role="meter" aria-label={props.label}
        aria-valuemin={0} aria-valuemax={props.quota} aria-valuenow={props.used}>
        <div class="fill" style={{ width: Math.min(100, pct) + "%" }} />
      </div>
    </div>
  );
}

export function fmtMB(mb: number | null | undefined) {
  if (mb === null || mb === undefined) return "–";
  return mb >= 1024 ? `${+(mb / 1024).toFixed(1)} GB` : `${mb} MB`;
}
export function fmtCPU(c: number | null | undefined) {
  if (c === null || c === undefined) return "–";
  return `${+c.toFixed(2)}`;
}

export function timeAgo(iso: string | null | undefined) {
  if (!iso) return "";
  const t = Date.parse(iso);
  if (isNaN(t)) return "";
  const s = Math.round((Date.now() - t) / 1000);
  if (s < 45) return "just now";
  const m = Math.round(s / 60);
  if (m < 60) return `${m} minute${m === 1 ? "" : "s"} ago`;
  const h = Math.round(m / 60);
  if (h < 24) return `${h} hour${h === 1 ? "" : "s"} ago`;
  const d = Math.round(h / 24);
  return `${d} day${d === 1 ? "" : "s"} ago`;
}
export function fmtDate(iso: string | null | undefined) {
  if (!iso) return "–";
  const d = new Date(iso);
  return isNaN(+d) ? iso : d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** A labelled form field with its hint and its error under it. */
export function Field(props: {
  id: string;
  label: string;
  hint?: ComponentChildren;
  error?: string | null;
  ok?: ComponentChildren;
  children: ComponentChildren;
}) {
  return (
    <div class={"field" + (props.error ? " has-error" : "")}>
      <label for={props.id}>{props.label}</label>
      {props.children}
      {props.hint && (
        <div class="hint" id={props.id + "-hint"}>
          {props.hint}
        </div>
      )}
      {props.ok && !props.error && <div class="ok-msg">{props.ok}</div>}
      {props.error && (
        <div class="field-error" id={props.id + "-error"} role="alert">
          {props.error}
        </div>
      )}
    </div>
  );
}

/** A toggle switch: a checkbox with role=switch. */
export function Toggle(props: {
  id: string;
  label: string;
  checked: boolean;
  onChange: (v: boolean) => void;
  disabled?: boolean;
  title?: string;
  hint?: ComponentChildren;
}) {
  return (
    <div class={"toggle" + (props.disabled ? " disabled" : "")} title={props.title}>
      <input type="checkbox" role="switch" id={props.id} checked={props.checked} disabled={props.disabled}
        aria-describedby={props.hint ? props.id + "-hint" : undefined}
        onChange={(e) => props.onChange((e.target as HTMLInputElement).checked)} />
      <label for={props.id}>{props.label}</label>
      {props.hint && (
        <div class="hint" id={props.id + "-hint"}>
          {props.hint}
        </div>
      )}
    </div>
  );
}

/** A component loaded on first use (a dynamic import: its own chunk, not in the first load);
 * a loading line meanwhile, an error with a retry when the chunk cannot be fetched. */
export function lazy<C extends (p: any) => any>(load: () => Promise<C>): C {
  let Comp: C | null = null;
  let pending: Promise<C> | null = null;
  function Lazy(props: any) {
    const [, setN] = useState(0);
    const [err, setErr] = useState<Error | null>(null);
    const start = useCallback(() => {
      setErr(null);
      (pending ||= load()).then(
        (c) => {
          Comp = c;
          setN((n) => n + 1);
        },
        (e) => {
          pending = null;
          setErr(e instanceof Error ? e : new Error(String(e)));
        },
      );
    }, []);
    useEffect(() => {
      if (!Comp) start();
    }, [start]);
    if (err) return <ErrorBox error={`This part of the console could not be loaded: ${err.message}`} retry={start} />;
    if (!Comp) return <Loading />;
    const X = Comp as any;
    return <X {...props} />;
  }
  return Lazy as unknown as C;
}

/** Bytes as "1.2 GB", "340 KB". */
export function fmtBytes(n: number | null | undefined) {
  if (n === null || n === undefined) return "–";
  const u = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < u.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v < 10 ? v.toFixed(1) : Math.round(v)} ${u[i]}`;
}
