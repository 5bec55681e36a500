// The part of autocannon 8's API the benchmarks use (the package ships no types).
declare module "autocannon" {
  interface Histogram {
    readonly average: number;
    readonly mean: number;
    readonly stddev: number;
    readonly min: number;
    readonly max: number;
    readonly total: number;
    readonly p50: number;
    readonly p75: number;
    readonly p90: number;
    readonly p97_5: number;
    readonly p99: number;
  }
  interface Options {
    url: string;
    connections?: number;
    duration?: number;
    pipelining?: number;
    timeout?: number;
    headers?: Record<string, string>;
    method?: string;
    warmup?: { connections?: number; duration?: number };
  }
  interface Result {
    readonly latency: Histogram & { readonly totalCount: number };
    readonly requests: Histogram & { readonly sent: number };
    readonly throughput: Histogram;
    readonly errors: number;
    readonly timeouts: number;
    readonly non2xx: number;
    readonly duration: number;
    readonly statusCodeStats: Record<string, { count: number }>;
  }
  function autocannon(options: Options): PromiseLike<Result>;
  export default autocannon;
  export type { Options, Result, Histogram };
}
