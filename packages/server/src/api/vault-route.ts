/**
 * The vault's public face: the register of microdata sources (who delivers what, on which legal
 * basis, for which purpose, under which DPIA, kept how long) — transparency, the SyRI lesson.
 * Metadata only: no record, no count of records, no pseudonym ever leaves through here; figures
 * come out only as profiles through the release function.
 */
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { Database } from "../store/database.js";
import { listVaultSources } from "../store/vault-repository.js";

export function registerVaultRoutes(server: FastifyInstance, deps: { db: Database }): void {
  server.withTypeProvider<ZodTypeProvider>().get(
    "/api/vault/sources",
    {
      schema: {
        tags: ["vault"],
        summary:
          "The register of microdata sources: organisation, legal basis, purpose, DPIA reference, retention, record level",
        description:
          "Public for transparency. Records themselves never leave the vault; their aggregates leave only as profiles through disclosure control.",
      },
    },
    async () => {
      const sources = await listVaultSources(deps.db);
      return {
        count: sources.length,
        sources: sources.map((s) => ({
          id: s.id,
          name: s.name,
          organisation: s.organisation,
          legalBasis: s.legalBasis,
          purpose: s.purpose,
          dpiaReference: s.dpiaReference,
          retentionMonths: s.retentionMonths,
          recordLevel: s.recordLevel,
          synthetic: s.synthetic,
          description: s.description ?? null,
          registeredAt: s.registeredAt,
        })),
      };
    },
  );
}
