/**
 * The audit trail for the privacy officer (role privacy-officer only): search per user, area,
 * indicator, profile, action, result or period; export as CSV; verify the hash chain of the running
 * server. Each of these requests is itself one audit record ("who looked at the log").
 */
import { Readable } from "node:stream";
import { stringify } from "csv-stringify";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import {
  AUDIT_RESULTS,
  countAudit,
  exportAudit,
  parseAuditTime,
  searchAudit,
  verifyChain,
  type AuditFilter,
  type AuditLog,
} from "../store/audit-repository.js";
import type { Database } from "../store/database.js";
import { AUDIT_CSV_COLUMNS } from "../cli/audit-command.js";
import type { AuthHandles } from "./auth-route.js";

export interface AuditRouteDeps {
  readonly db: Database;
  readonly audit: AuditLog;
  readonly access: AuthHandles;
}

const When = (name: string) =>
  z
    .string()
    .trim()
    .min(1)
    .max(40)
    .superRefine((v, ctx) => {
      try {
        parseAuditTime(v, name);
      } catch (e) {
        ctx.addIssue({ code: "custom", message: (e as Error).message });
      }
    })
    .describe("a UTC date YYYY-MM-DD (the whole day) or an ISO time");

const Filter = z
  .object({
    actor: z.string().trim().min(1).max(100).optional().describe("user id or part of a user's name"),
    object: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .optional()
      .describe("part of the object: area code, indicator, profile:<id>, export"),
    action: z.string().trim().min(1).max(60).optional(),
    result: z.enum(AUDIT_RESULTS).optional(),
    organisation: z.string().trim().min(1).max(100).optional(),
    from: When("from").optional(),
    to: When("to").optional(),
  })
  .strict();

const filterOf = (q: z.infer<typeof Filter>): AuditFilter => ({
  ...(q.actor ? { actor: q.actor } : {}),
  ...(q.object ? { object: q.object } : {}),
  ...(q.action ? { action: q.action } : {}),
  ...(q.result ? { result: q.result } : {}),
  ...(q.organisation ? { organisation: q.organisation } : {}),
  ...(q.from ? { from: q.from } : {}),
  ...(q.to ? { to: q.to } : {}),
});

const describeFilter = (f: AuditFilter): string =>
  Object.entries(f)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(" ") || "all";

export function registerAuditRoutes(server: FastifyInstance, deps: AuditRouteDeps): void {
  const app = server.withTypeProvider<ZodTypeProvider>();
  const { access } = deps;
  const officer = (request: Parameters<AuthHandles["authorise"]>[0]) =>
    access.authorise(request, { roles: ["privacy-officer"] });

  app.get(
    "/api/audit",
    {
      schema: {
        tags: ["audit"],
        summary: "Search the audit trail (privacy officer): newest first, paged",
        querystring: Filter.extend({
          limit: z.coerce.number().int().min(1).max(1000).default(100),
          offset: z.coerce.number().int().min(0).default(0),
        }).strict(),
      },
    },
    async (request, reply) => {
      officer(request);
      const { limit, offset, ...rest } = request.query;
      const filter = filterOf(rest);
      // What is still queued belongs in the answer (the officer's own earlier searches, too).
      await deps.audit.flush();
      const [total, records] = await Promise.all([
        countAudit(deps.db, filter),
        searchAudit(deps.db, { ...filter, limit, offset }),
      ]);
      access.auditAction(request, "audit-search", `audit:${describeFilter(filter)}`);
      reply.header("cache-control", "no-store");
      return { total, limit, offset, records };
    },
  );

  app.get(
    "/api/audit/export",
    {
      schema: {
        tags: ["audit"],
        summary: "Export the matching audit records as CSV, oldest first (privacy officer)",
        querystring: Filter,
      },
    },
    async (request, reply) => {
      officer(request);
      const filter = filterOf(request.query);
      await deps.audit.flush();
      access.auditAction(request, "audit-export", `audit:${describeFilter(filter)}`);
      const rows = async function* () {
        for await (const r of exportAudit(deps.db, filter)) yield { ...r, roles: r.roles.join(",") };
      };
      const day = new Date().toISOString().slice(0, 10);
      return reply
        .header("cache-control", "no-store")
        .header("content-disposition", `attachment; filename="wijkradar-audit-${day}.csv"`)
        .type("text/csv; charset=utf-8")
        .send(Readable.from(rows()).pipe(stringify({ header: true, columns: [...AUDIT_CSV_COLUMNS] })));
    },
  );

  app.get(
    "/api/audit/verify",
    {
      schema: {
        tags: ["audit"],
        summary: "Verify the hash chain of the audit trail: every record, link and the stored head",
        querystring: z
          .object({
            expectHead: z
              .string()
              .regex(/^[0-9a-f]{64}$/, { error: "expected a sha256 hash: 64 hex digits" })
              .optional()
              .describe("a head hash kept outside the database: it must be in the chain"),
          })
          .strict(),
      },
    },
    async (request, reply) => {
      officer(request);
      // No flush while the chain is read: it must not grow under the check.
      const result = await deps.audit.exclusive(() =>
        verifyChain(deps.db, request.query.expectHead ? { expectHead: request.query.expectHead } : {}),
      );
      access.auditAction(request, "audit-verify", `audit:verify ${result.ok ? "ok" : "broken"}`);
      reply.header("cache-control", "no-store");
      return result;
    },
  );
}
