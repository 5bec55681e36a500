/**
 * The operator token guards the few state-changing routes (imports, profiles, alert status, detection
 * runs) until accounts and roles arrive with the access-control issue. The server writes it beside the
 * database, readable by its owner only.
 */
import { timingSafeEqual } from "node:crypto";

/** Whether `Authorization: Bearer <token>` carries the expected token (constant-time comparison). */
export function tokenMatches(expected: string | undefined, header: string | undefined): boolean {
  if (!expected) return false;
  const given = /^Bearer (.+)$/.exec(header ?? "")?.[1] ?? "";
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
