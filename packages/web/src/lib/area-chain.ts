import { api } from "../api/client";
import type { AreaDetail } from "../api/types";

/**
 * The area and its ancestors, land first: Nederland › Almere › Haven-Centrum › … (for the breadcrumb).
 */
export async function areaChain(code: string, division?: number): Promise<AreaDetail[]> {
  const chain: AreaDetail[] = [];
  let next: string | null = code;
  for (let guard = 0; next && guard < 8; guard++) {
    // In the division of the figures when given (a wijk code can name another area in another year).
    const area: AreaDetail = await api.area(next, division).catch(() => api.area(next!));
    chain.unshift(area);
    next = area.parent?.code ?? area.parentCode;
  }
  return chain;
}
