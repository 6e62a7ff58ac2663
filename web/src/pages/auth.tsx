// First-run setup and login.
import { useState } from "preact/hooks";
import { ApiError, acceptInvitation, login, setup } from "../api";
import { Field } from "../ui";
import { email as emailRule, password as passwordRule } from "../rules";


export function SetupPage({ onDone }: { onDone: () => void }) {
  const [f, setF] = useState({ email: "", name: "", password: "", password2: "", organization: "" });
  const [touched, setTouched] = useState<Record<string, boolean>>({});
  const [err, setErr] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const errors: Record<string, string | null> = {
    email: emailRule(f.email),
    name: f.name.length > 100 ? "At most 100 characters." : null,
    password: passwordRule(f.password),
    password2: f.password2 !== f.password ? "The passwords differ." : null,
    organization: !f.organization.trim() ? "Name your organization." : f.organization.length > 100 ? "At most 100 characters." : null,
  };
  const show = (k: string) => (touched[k] || err ? errors[k] : null) || (err && err.field === k ? err.message : null);
  const set = (k: string) => (e: Event) => setF({ ...f, [k]: (e.target as HTMLInputElement).value });
  const blur = (k: string) => () => setTouched({ ...touched, [k]: true });
  const valid = Object.values(errors).every((x) => !x);

  async function submit(e: Event) {
    e.preventDefault();
    setTouched({ email: true, name: true, password: true, password2: true, organization: true });
    if (!valid) return;
    setBusy(true);
    setErr(null);
    try {
      const body: Record<string, string> = { email: f.email, password: f.password, organization: f.organization };
      if (f.name) body.name = f.name;
      await setup(body);
      onDone();
    } catch (x) {
      setErr(x as ApiError);
      setBusy(false);
    }
  }
  return (
    <main class="center narrow" id="main">
      <h1>Welcome to berth</h1>
      <p>Create the platform administrator and your first organization.</p>
      {err && !err.field && <div class="banner error" role="alert">{err.message}</div>}
      <form onSubmit={submit} noValidate class="card">
        <Field id="setup-email" label="Email" error={show("email")}>
          <input id="setup-email" type="email" autocomplete="username" value={f.email} onInput={set("email")} onBlur={blur("email")} required />
        </Field>
        <Field id="setup-name" label="Your name (optional)" error={show("name")}>
          <input id="setup-name" autocomplete="name" value={f.name} onInput={set("name")} onBlur={blur("name")} />
        </Field>
        <Field id="setup-password" label="Password" hint="12 to 256 characters, not one of the commonest passwords." error={show("password")}>
          <input id="setup-password" type="password" autocomplete="new-password" value={f.password} onInput={set("password")} onBlur={blur("password")} required />
        </Field>
        <Field id="setup-password2" label="Password again" error={show("password2")}>
          <input id="setup-password2" type="password" autocomplete="new-password" value={f.password2} onInput={set("password2")} onBlur={blur("password2")} required />
        </Field>
        <Field id="setup-org" label="Organization" error={show("organization")}>
          <input id="setup-org" value={f.organization} onInput={set("organization")} onBlur={blur("organization")} required />
        </Field>
        <button class="btn primary" type="submit" disabled={busy}>{busy ? "Creating…" : "Create administrator"}</button>
      </form>
    </main>
  );
}

export function LoginPage({ onDone, notice }: { onDone: () => void; notice?: string }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [err, setErr] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(e: Event) {
    e.preventDefault();
    if (!email || !password) {
      setErr("Enter your email and password.");
      return;
    }
    setBusy(true);
    setErr(null);
    try {
      await login(email, password);
      onDone();
    } catch (x) {
      const a = x as ApiError;
      setErr(a.code === "INVALID_CREDENTIALS" ? "Wrong email or password." : a.message);
      setBusy(false);
    }
  }
  return (
    <main class="center narrow" id="main">
      <h1>Log in to berth</h1>
      {notice && !err && <div class="banner info" role="status">{notice}</div>}
      {err && <div class="banner error" role="alert">{err}</div>}
      <form onSubmit={submit} noValidate class="card">
        <Field id="login-email" label="Email">
          <input id="login-email" type="email" autocomplete="username" value={email} onInput={(e) => setEmail((e.target as HTMLInputElement).value)} required />
        </Field>
        <Field id="login-password" label="Password">
          <input id="login-password" type="password" autocomplete="current-password" value={password} onInput={(e) => setPassword((e.target as HTMLInputElement).value)} required />
        </Field>
        <button class="btn primary" type="submit" disabled={busy}>{busy ? "Logging in…" : "Log in"}</button>
      </form>
    </main>
  );
}

/**
 * The invitation page (/invitations/{token}, the link the inviter sends). Logged out: the
 * account is created with a name and a password (the API's rule), or, when one exists for the
 * email, the person logs in first and comes back here. Logged in: Join.
 */
export function AcceptInvitationPage(props: { token: string; loggedIn: boolean; onJoined: (orgId: string) => void; onLogin?: () => void }) {
  const [f, setF] = useState({ name: "", password: "", password2: "" });
  const [touched, setTouched] = useState<Record<string, boolean>>({});
  const [err, setErr] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const errors: Record<string, string | null> = props.loggedIn ? {} : {
    name: f.name.length > 100 ? "At most 100 characters." : null,
    password: passwordRule(f.password),
    password2: f.password2 !== f.password ? "The passwords differ." : null,
  };
  const show = (k: string) => (touched[k] ? errors[k] : null) || (err && err.field === k ? err.message : null);
  const set = (k: string) => (e: Event) => setF({ ...f, [k]: (e.target as HTMLInputElement).value });
  const blur = (k: string) => () => setTouched({ ...touched, [k]: true });
  async function submit(e: Event) {
    e.preventDefault();
    setTouched({ name: true, password: true, password2: true });
    if (Object.values(errors).some((x) => x)) return;
    setBusy(true);
    setErr(null);
    try {
      const body: { name?: string; password?: string } = {};
      if (!props.loggedIn) {
        body.password = f.password;
        if (f.name.trim()) body.name = f.name.trim();
      }
      const org = await acceptInvitation(props.token, body, props.loggedIn);
      props.onJoined(org.id);
    } catch (x) {
      setErr(x as ApiError);
      setBusy(false);
    }
  }
  const banner = err && !err.field
    ? err.status === 404 ? "This invitation is unknown, already used or expired: ask for a new one."
      : err.status === 409 ? "An account with this email exists already: log in, then open this link again."
      : err.message
    : null;
  const Wrap = props.loggedIn ? "section" : "main"; // logged in, the shell has the main landmark
  return (
    <Wrap class="center narrow" id={props.loggedIn ? undefined : "main"}>
      <h1>Join an organization on berth</h1>
      {banner && <div class="banner error" role="alert">{banner}</div>}
      <form onSubmit={submit} noValidate class="card" aria-label="Accept the invitation">
        {props.loggedIn ? (
          <p>You were invited to an organization. Join it with your account?</p>
        ) : (
          <>
            <p>Create your account to accept the invitation (the email is the one invited).</p>
            <Field id="inv-name" label="Your name (optional)" error={show("name")}>
              <input id="inv-name" autocomplete="name" value={f.name} onInput={set("name")} onBlur={blur("name")} />
            </Field>
            <Field id="inv-password" label="Password" hint="12 to 256 characters, not one of the commonest passwords." error={show("password")}>
              <input id="inv-password" type="password" autocomplete="new-password" value={f.password} onInput={set("password")} onBlur={blur("password")} />
            </Field>
            <Field id="inv-password2" label="Password again" error={show("password2")}>
              <input id="inv-password2" type="password" autocomplete="new-password" value={f.password2} onInput={set("password2")} onBlur={blur("password2")} />
            </Field>
          </>
        )}
        <div class="actions">
          {!props.loggedIn && props.onLogin && (
            <button type="button" class="btn" onClick={props.onLogin}>I have an account: log in</button>
          )}
          <button class="btn primary" type="submit" disabled={busy}>{busy ? "Joining…" : props.loggedIn ? "Join" : "Create account and join"}</button>
        </div>
      </form>
    </Wrap>
  );
}
