// Who is logged in, their organizations and the organization being looked at.
import { createContext } from "preact";
import { useContext } from "preact/hooks";

export interface Org {
  id: string;
  name: string;
  slug: string;
  plan_name: string;
  role: string | null;
}
export interface Session {
  me: { id: string; email: string; name: string; is_admin: boolean };
  orgs: Org[];
  org: Org;
  /** the caller's permission names in the current organization */
  perms: Set<string>;
  plan: Record<string, any> | null;
  appsDomain: string;
  switchOrg: (id: string) => void;
  logout: () => void;
  refresh: () => Promise<void>;
}

export const SessionCtx = createContext<Session | null>(null);
export function useSession(): Session {
  return useContext(SessionCtx)!;
}
