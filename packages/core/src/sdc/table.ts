/**
 * A table in index form: cells by number, relations in a fixed order (by total id, then first part
 * id), and for each cell the relations it takes part in. Shared by suppression and the audit.
 */
import type { SdcTable } from "./types.js";

export interface IndexedTable {
  readonly n: number;
  readonly ids: readonly string[];
  readonly index: ReadonlyMap<string, number>;
  /** Values per dimension: 0 = count, 1 = population. */
  readonly values: readonly [Float64Array, Float64Array];
  /** Relation r: total relTotal[r], parts relParts[relStart[r] .. relStart[r + 1]). */
  readonly relTotal: Int32Array;
  readonly relStart: Int32Array;
  readonly relParts: Int32Array;
  /** Cell c takes part in relations cellRels[cellStart[c] .. cellStart[c + 1]) (ascending). */
  readonly cellStart: Int32Array;
  readonly cellRels: Int32Array;
}

const isCount = (x: number): boolean => Number.isInteger(x) && x >= 0;

function fail(message: string): never {
  throw new RangeError(`sdc table: ${message}`);
}

/** Validates a table and builds its index. Throws RangeError on the first problem found. */
export function indexTable(table: SdcTable): IndexedTable {
  const n = table.cells.length;
  const ids: string[] = new Array<string>(n);
  const index = new Map<string, number>();
  const count = new Float64Array(n);
  const population = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const c = table.cells[i]!;
    index.set(c.id, i);
    if (index.size !== i + 1) fail(`duplicate cell id ${c.id}`);
    ids[i] = c.id;
    if (!isCount(c.count)) fail(`${c.id}: count must be an integer >= 0, got ${c.count}`);
    if (!isCount(c.population) || c.population < c.count)
      fail(`${c.id}: population must be an integer >= count (${c.count}), got ${c.population}`);
    if (!isCount(c.areaPopulation))
      fail(`${c.id}: areaPopulation must be an integer >= 0, got ${c.areaPopulation}`);
    if (!(c.countKey >= 0 && c.countKey < 1)) fail(`${c.id}: countKey must be in [0, 1), got ${c.countKey}`);
    if (!(c.populationKey >= 0 && c.populationKey < 1))
      fail(`${c.id}: populationKey must be in [0, 1), got ${c.populationKey}`);
    if (c.nearCounts?.some((x) => !isCount(x) || x < c.count))
      fail(`${c.id}: nearCounts must be integers >= count (${c.count}), got [${c.nearCounts.join(", ")}]`);
    if (c.magnitude) {
      const { total, top } = c.magnitude;
      let sum = 0;
      for (let j = 0; j < top.length; j++) {
        const x = top[j]!;
        if (!(Number.isFinite(x) && x >= 0) || (j > 0 && x > top[j - 1]!))
          fail(`${c.id}: magnitude.top must be non-negative and descending`);
        sum += x;
      }
      if (!(Number.isFinite(total) && sum <= total * (1 + 1e-12)))
        fail(`${c.id}: magnitude.total (${total}) must be finite and at least the sum of top (${sum})`);
    }
    count[i] = c.count;
    population[i] = c.population;
  }

  const m = table.relations.length;
  const stamp = new Int32Array(n).fill(-1);
  const resolved = table.relations.map((r, j) => {
    const total = index.get(r.total);
    if (total === undefined) fail(`relation ${j}: unknown total ${r.total}`);
    if (r.parts.length === 0) fail(`relation ${j} (${r.total}): no parts`);
    const parts = new Int32Array(r.parts.length);
    let c = 0;
    let p = 0;
    let first = r.parts[0]!;
    for (let q = 0; q < parts.length; q++) {
      const id = r.parts[q]!;
      const i = index.get(id);
      if (i === undefined) fail(`relation ${j} (${r.total}): unknown part ${id}`);
      if (i === total) fail(`relation ${j} (${r.total}): the total is also a part`);
      if (stamp[i] === j) fail(`relation ${j} (${r.total}): part ${id} occurs twice`);
      stamp[i] = j;
      parts[q] = i;
      c += count[i]!;
      p += population[i]!;
      if (id < first) first = id;
    }
    if (c !== count[total] || p !== population[total])
      fail(
        `relation ${j} (${r.total}): total ${count[total]}/${population[total]} (count/population) is not the sum of its parts ${c}/${p}`,
      );
    return { total, parts, key: `${r.total}\u0000${first}\u0000${parts.length}` };
  });
  // A fixed order of relations makes the suppression pattern independent of the input order.
  resolved.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

  const relTotal = new Int32Array(m);
  const relStart = new Int32Array(m + 1);
  let size = 0;
  for (const r of resolved) size += r.parts.length;
  const relParts = new Int32Array(size);
  const degree = new Int32Array(n + 1);
  let at = 0;
  for (let r = 0; r < m; r++) {
    const rel = resolved[r]!;
    relTotal[r] = rel.total;
    relStart[r] = at;
    degree[rel.total]!++;
    for (const i of rel.parts) {
      relParts[at++] = i;
      degree[i]!++;
    }
  }
  relStart[m] = at;
  const cellStart = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) cellStart[i + 1] = cellStart[i]! + degree[i]!;
  const fill = cellStart.slice(0, n);
  const cellRels = new Int32Array(cellStart[n]!);
  for (let r = 0; r < m; r++) {
    cellRels[fill[relTotal[r]!]!++] = r;
    for (let q = relStart[r]!; q < relStart[r + 1]!; q++) cellRels[fill[relParts[q]!]!++] = r;
  }
  return { n, ids, index, values: [count, population], relTotal, relStart, relParts, cellStart, cellRels };
}
