/**
 * The server's problem+json lines mapped to the form fields they name: "grant.to.id: organisation x
 * does not exist" → { to: "organisation x does not exist" }. Lines that name no known field are
 * the form's own.
 */
import { ApiError } from "../api/client";

export type FieldErrors = Readonly<Record<string, string>>;

/** Server problem lines by field: "user.organisationId: …" → { organisationId: "…" }; the rest as "". */
export function fieldErrors(
  error: unknown,
  fields: readonly string[],
): { byField: FieldErrors; rest: string[] } {
  if (!(error instanceof ApiError))
    return { byField: {}, rest: [error instanceof Error ? error.message : String(error)] };
  const lines = error.errors.length > 0 ? [...error.errors] : error.message.split("; ");
  const byField: Record<string, string> = {};
  const rest: string[] = [];
  for (const line of lines) {
    const m = /^(?:(?:grant|user|organisation|body)\.|body field )?([A-Za-z][\w.]*)\s*:\s*(.+)$/.exec(
      line.trim(),
    );
    const path = m?.[1] ?? "";
    // The longest field name the path starts with: "to.id" before "to", "what.domains" before "what".
    const name = [...fields]
      .sort((a, b) => b.length - a.length)
      .find((f) => path === f || path.startsWith(`${f}.`));
    if (m && name) byField[name] = byField[name] ? `${byField[name]}; ${m[2]}` : m[2]!;
    else rest.push(line);
  }
  if (Object.keys(byField).length === 0 && rest.length === 0) rest.push(error.message);
  return { byField, rest };
}
