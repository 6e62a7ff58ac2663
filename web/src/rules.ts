// The API's field rules (docs/api.md, src/core/envspec.c, src/lib/valid.c), checked as the
// user types so that a value the API would refuse is flagged before submit. Each returns
// null when valid, else the message shown under the field.

export const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const ENV_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const RESERVED = ["postgres", "pgbouncer", "template0", "template1"];

export function envName(v: string, taken: string[]): string | null {
  if (!v) return "Enter a name.";
  if (v.length > 63) return "At most 63 characters.";
  if (!ENV_NAME.test(v)) return "Lowercase letters, numbers, and hyphens only, starting and ending with a letter or number.";
  if (RESERVED.includes(v)) return `"${v}" is reserved.`;
  if (taken.includes(v)) return "An environment of this project already has this name.";
  return null;
}

export function subdomain(v: string): string | null {
  if (!v) return "Enter a subdomain.";
  if (v.length > 63) return "At most 63 characters.";
  if (!DNS_LABEL.test(v)) return "A DNS label: lowercase letters, numbers and hyphens, starting and ending with a letter or number (^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$).";
  return null;
}

export function customDomain(v: string, appsDomain: string): string | null {
  if (!v) return null;
  if (v.length > 253) return "At most 253 characters.";
  if (v !== v.toLowerCase()) return "Lowercase only.";
  const labels = v.split(".");
  if (labels.length < 2 || labels.some((l) => !DNS_LABEL.test(l))) return "A domain name such as app.acme.com.";
  if (v === appsDomain || v.endsWith("." + appsDomain)) return `Not under ${appsDomain}: use the subdomain for that.`;
  return null;
}

function steps(v: number, step: number) {
  return Math.abs(v / step - Math.round(v / step)) < 1e-9;
}

export function cpu(v: number): string | null {
  if (!isFinite(v)) return "Enter a number of cores.";
  if (v < 0.25 || v > 32 || !steps(v, 0.25)) return "Between 0.25 and 32 cores, in steps of 0.25.";
  return null;
}
export function ram(v: number): string | null {
  if (!Number.isInteger(v)) return "Enter a whole number of MB.";
  if (v < 256 || v > 131072 || v % 256 !== 0) return "Between 256 and 131072 MB, in steps of 256 MB.";
  return null;
}
export function disk(v: number): string | null {
  if (!Number.isInteger(v) || v < 1 || v > 1000) return "A whole number of GB between 1 and 1000.";
  return null;
}
export function pgCpu(v: number, total: number): string | null {
  if (!isFinite(v) || v < 0.1 || v > 16) return "Between 0.1 and 16 cores.";
  if (!steps(v, 0.01)) return "Two decimals at most.";
  if (total - v < 0.1 - 1e-9) return "Odoo must keep at least 0.1 core.";
  return null;
}
export function pgRam(v: number, total: number): string | null {
  if (!Number.isInteger(v) || v < 128 || v > 65536) return "A whole number of MB between 128 and 65536.";
  if (total - v < 128) return "Odoo must keep at least 128 MB.";
  return null;
}

/** PostgreSQL's automatic share: 30 % (at least 0.1 core and 128 MB). */
export function pgDefault(cpuCores: number, ramMb: number) {
  return {
    cpu: Math.max(0.1, Math.round(cpuCores * 0.3 * 100) / 100),
    ram: Math.max(128, Math.round(ramMb * 0.3)),
  };
}

/** valid_git_ref (src/lib/valid.c): git check-ref-format, plus no leading '-'. */
export function validBranch(v: string): string | null {
  if (!v) return "Enter a branch name.";
  if (v.length > 200) return "At most 200 characters.";
  if (
    /[\x00-\x20~^:?*[\\\x7f]/.test(v) || v.startsWith("-") || v.startsWith("/") || v.endsWith("/") ||
    v.endsWith(".") || v.startsWith(".") || v.includes("..") || v.includes("//") || v.includes("@{") ||
    v.includes("/.") || v.endsWith(".lock") || v === "@"
  )
    return "Not a valid git branch name.";
  return null;
}

/** valid_email (src/lib/valid.c). */
export function email(v: string): string | null {
  if (!v) return "Enter an email address.";
  const at = v.indexOf("@");
  const d = v.slice(at + 1);
  if (v.length < 3 || v.length > 254 || at <= 0 || d.includes("@") || !d || !d.includes(".") ||
      /[\x00-\x20\x7f-\uffff"(),:;<>[\\\]]/.test(v) || d.startsWith(".") || d.endsWith(".") || d.includes(".."))
    return "This is not an email address.";
  return null;
}

/** valid_git_url (src/lib/valid.c), less the local roots (checked by berthd). */
export function validGitUrl(v: string): string | null {
  if (v.length > 1024) return "At most 1024 characters.";
  if (/[\x00-\x20\x7f\\'"`]/.test(v)) return "No spaces, quotes or backslashes.";
  if (v.length < 2 || v.startsWith("-") || v.includes("://-") || v.includes("@-")) return "Not a git URL.";
  if (/(^|[/:])\.\.($|\/)/.test(v)) return "No '..' in the path.";
  if (/^https?:\/\/[^/@]*:[^/@]*@/.test(v)) return "No password in the URL: give it as the access token.";
  const scheme = /^[A-Za-z0-9+.-]+:\/\//.exec(v);
  const bad = "A git URL: https://, http://, ssh://, git://, file:///, user@host:path or an absolute path.";
  if (scheme) {
    if (v.startsWith("file://")) return v.startsWith("file:///") ? null : bad;
    return /^(https?|ssh|git):\/\/./.test(v) ? null : bad;
  }
  const colon = v.indexOf(":"), slash = v.indexOf("/");
  if (colon < 0 || (slash >= 0 && slash < colon)) return v.startsWith("/") ? null : "A local path must be absolute.";
  const at = v.indexOf("@");
  return at > 0 && at < colon && colon > at + 1 && colon + 1 < v.length ? null : bad;
}

/** A Backup Schedule, "HH:MM HH:MM" (core/backup_rules.c): null when valid, else what is
 * wrong. */
export function backupSchedule(s: string): string | null {
  const times = s.trim().split(/\s+/).filter(Boolean);
  if (times.length > 24) return "At most 24 times.";
  const seen = new Set<string>();
  for (const t of times) {
    if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(t)) return `'${t}' is not a time HH:MM (00:00 to 23:59).`;
    if (seen.has(t)) return `${t} is there twice.`;
    seen.add(t);
  }
  return null;
}

export function intRange(v: string, lo: number, hi: number): string | null {
  if (v === "") return null;
  const n = Number(v);
  if (!Number.isInteger(n) || n < lo || n > hi) return `A whole number from ${lo} to ${hi}.`;
  return null;
}

/** A value odoo.conf carries unchanged (db_filter, smtp host/user/password/from). */
export function confValue(v: string): string | null {
  if (v === "") return null;
  if (/[\x00-\x1f\x7f-\x9f\u2028\u2029]/.test(v)) return "One line, without control characters.";
  if (v.trim() !== v) return "No spaces around the value.";
  if (["True", "False", "None", "true", "false"].includes(v)) return "Odoo would read this as a Python value.";
  return null;
}
export function dbFilter(v: string): string | null {
  const c = confValue(v);
  if (c) return c;
  if (v.length > 1024) return "At most 1024 characters.";
  if (/%(?![dh])/.test(v)) return "'%' only as %d or %h.";
  return null;
}

// The commonest passwords of 12 characters or more, as src/svc/auth.c lists them (compared
// without regard to ASCII case).
const COMMON_PASSWORDS = new Set([
  "123456789012", "1234567890123", "12345678901234", "123456789123", "1234567891011",
  "123123123123", "112233445566", "987654321098", "098765432109", "111111111111", "000000000000",
  "aaaaaaaaaaaa", "121212121212", "password1234", "password12345", "password123456",
  "passwordpassword", "password!234", "passw0rd1234", "p@ssw0rd1234", "p@ssword1234",
  "mypassword123", "mypassword1234", "thisismypassword", "qwertyuiop123", "qwertyuiopasdf",
  "qwertyuiopasdfgh", "qwerty123456", "qwerty12345678", "q1w2e3r4t5y6", "1q2w3e4r5t6y",
  "1qaz2wsx3edc", "1qaz2wsx3edc4rfv", "zaq12wsxcde3", "qazwsxedcrfv", "1234qwerasdf",
  "1234qwerasdfzxcv", "asdfghjkl123", "asdfasdfasdf", "qweqweqweqwe", "abcdefghijkl",
  "abcdefghijklmnop", "abc123abc123", "abcd1234abcd", "iloveyou1234", "letmein12345",
  "welcome12345", "welcome123456", "welcome@1234", "administrator", "admin1234567", "admin@123456",
  "adminadmin123", "changeme1234", "trustno11234", "football1234", "baseball1234", "sunshine1234",
  "princess1234", "starwars1234", "superman1234", "monkey123456", "dragon123456", "michael12345",
  "whatever1234", "hello1234567", "helloworld123", "odoo12345678", "odooodooodoo",
  "correcthorsebatterystaple", "correct horse battery staple",
]);

/** A new password (svc_check_password in src/svc/auth.c, after the JSON field's own rule):
 * 12 to 256 characters, no control characters, not only spaces, not one of the commonest
 * passwords; the field itself takes at most `maxBytes` bytes of UTF-8 (256 for setup and
 * invitations, 1024 for POST /auth/password). */
export function password(v: string, maxBytes = 256): string | null {
  if (/[\x00-\x1f\x7f-\x9f\u2028\u2029]/.test(v)) return "No control characters.";
  const chars = Array.from(v).length;
  if (chars < 12 || chars > 256 || new TextEncoder().encode(v).length > maxBytes) return "Between 12 and 256 characters.";
  if (/^[\s\u0085\u200b]*$/.test(v)) return "Not only spaces.";
  if (COMMON_PASSWORDS.has(v.replace(/[A-Z]/g, (c) => c.toLowerCase()))) return "One of the commonest passwords: choose another.";
  return null;
}
