/**
 * POST /api/imports: an import through the running server, which holds the only write connection
 * to the database. The CLI uses it when the database is held by a server; a later dashboard will too.
 * For logged-in analysts, or holders of the operator token the server writes beside the database
 * (readable by its owner only).
 */
import multipart from "@fastify/multipart";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { InputError } from "../errors.js";
import { importFile } from "../ingest/import-service.js";
import type { CubeService } from "../services/cube-service.js";
import type { DetectionService } from "../services/detection-service.js";
import type { AuditLog } from "../store/audit-repository.js";
import type { Database } from "../store/database.js";
import type { AuthHandles } from "./auth-route.js";
import { problem, sendProblem } from "./problem.js";

/** Largest data file accepted through the API. */
export const MAX_IMPORT_BYTES = 512 * 1024 * 1024;

export async function registerImportRoute(
  server: FastifyInstance,
  deps: {
    db: Database;
    cube: CubeService;
    audit: AuditLog;
    detection: DetectionService;
    access: AuthHandles;
  },
): Promise<void> {
  let queue: Promise<unknown> = Promise.resolve();
  await server.register(multipart, { limits: { fileSize: MAX_IMPORT_BYTES, files: 2, fields: 4 } });
  server.withTypeProvider<ZodTypeProvider>().post(
    "/api/imports",
    {
      schema: {
        tags: ["system"],
        summary:
          "Import a data file with its mapping (multipart fields `file` and `mapping`); all rows or none",
        description:
          "For logged-in analysts (with the X-CSRF-Token) or `Authorization: Bearer <operator token>` (the token is in `<database>.server.json`, readable by the server's user). " +
          "Answers the import report; 422 with the errors by file, line and column when the data or mapping is wrong.",
        querystring: z.object({ dryRun: z.enum(["true", "false"]).default("false") }).strict(),
      },
    },
    async (request, reply) => {
      const who = deps.access.authorise(request, { roles: ["analyst"], operator: true });
      if (!request.isMultipart()) {
        return sendProblem(
          reply,
          problem(415, "expected multipart/form-data with the fields `file` and `mapping`"),
        );
      }
      let data: { name: string; bytes: Buffer } | undefined;
      let mapping: { name: string; text: string } | undefined;
      for await (const part of request.parts()) {
        if (part.type === "file") {
          const bytes = await part.toBuffer();
          if (part.fieldname === "file") data = { name: part.filename || "upload", bytes };
          else if (part.fieldname === "mapping")
            mapping = { name: part.filename || "mapping", text: bytes.toString("utf8") };
        } else if (part.fieldname === "mapping" && typeof part.value === "string") {
          mapping = { name: "mapping", text: part.value };
        }
      }
      if (!data || !mapping) {
        throw new InputError(
          `missing multipart field${!data && !mapping ? "s `file` and `mapping`" : !data ? " `file`" : " `mapping`"}`,
        );
      }
      const upload = { data, mapping };
      // One import at a time: the checks against the store (codes, catalogue) must still hold when
      // the delivery is written, so a second upload waits for the first to finish.
      const run = queue.then(() =>
        importFile(deps.db, {
          file: upload.data.name,
          bytes: upload.data.bytes,
          mappingText: upload.mapping.text,
          mappingName: upload.mapping.name,
          dryRun: request.query.dryRun === "true",
        }),
      );
      queue = run.catch(() => undefined);
      const report = await run;
      if (report.status === "imported") {
        deps.cube.invalidate();
        // Early warning after every import, for the delivery's division (incremental: other
        // divisions keep their alerts); the import answers at once, the run reports progress.
        deps.detection
          .start({ trigger: "import", actor: who.actor.id, divisions: [report.division] })
          .done.catch((e: unknown) => request.log.error({ err: e }, "detection run after import failed"));
      }
      deps.access.auditAction(
        request,
        report.status === "validated" ? "import-dry-run" : "import",
        `file:${report.file} source:${report.source} sha256:${report.fileSha256}`,
      );
      return reply.code(report.status === "imported" ? 201 : 200).send(report);
    },
  );
}
