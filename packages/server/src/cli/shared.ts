/** What every CLI command module shares: its output streams and environment, and who runs it. */
import { userInfo } from "node:os";

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  env: Readonly<Record<string, string | undefined>>;
}

/** The operating-system user running the command (for the audit trail). */
export function cliUser(): string {
  try {
    return userInfo().username;
  } catch {
    return "unknown";
  }
}
