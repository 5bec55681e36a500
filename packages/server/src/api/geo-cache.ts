/**
 * Boundaries are the largest responses (all wijken of the country: ~3 MB of GeoJSON) and change only
 * with an import, so each one is built once, gzipped once and sent as cached bytes with a strong
 * ETag — like the released views of figures (docs/adr/0003-released-view-cache.md), but without the
 * release function: boundaries are public geography, not figures.
 */
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";

export interface CachedBody {
  readonly body: Buffer;
  readonly gzip: Buffer;
  readonly etag: string;
}

export class BodyCache {
  private readonly entries = new Map<string, Promise<CachedBody>>();
  private bytes = 0;

  constructor(private readonly maxBytes = 128 * 1024 * 1024) {}

  /** The cached body for key, built with make() on a miss (concurrent misses share one build). */
  get(key: string, make: () => Promise<string>): Promise<CachedBody> {
    const hit = this.entries.get(key);
    if (hit) {
      // Least recently used goes first: re-insert to move to the end of the Map's order.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const pending = make().then((text) => {
      const body = Buffer.from(text, "utf8");
      const gzip = gzipSync(body, { level: 6 });
      const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`;
      this.bytes += body.length + gzip.length;
      this.evict(key);
      return { body, gzip, etag };
    });
    pending.catch(() => this.entries.delete(key));
    this.entries.set(key, pending);
    return pending;
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  private evict(keep: string): void {
    for (const [key, entry] of this.entries) {
      if (this.bytes <= this.maxBytes) return;
      if (key === keep) continue;
      this.entries.delete(key);
      void entry.then(
        (e) => (this.bytes -= e.body.length + e.gzip.length),
        () => undefined,
      );
    }
  }
}
