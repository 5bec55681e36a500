/**
 * Starting the server: open (and migrate) the database, load the demo data into an empty database
 * with a progress bar, build the app and listen. Stops cleanly on SIGINT/SIGTERM.
 */
import { buildApp, type App } from "./api/app.js";
import type { Config } from "./config.js";
import { ConfigError } from "./errors.js";
import { progressReporter } from "./cli/progress.js";
import { loadDemoIfEmpty } from "./demo/demo-loader.js";
import { createDemoAccounts, demoAccountLines } from "./demo/demo-accounts.js";
import { demoKeys, loadDemoMicrodata } from "./demo/demo-microdata.js";
import { loadDemoObservations } from "./demo/demo-observations.js";
import { hasFinishedRun } from "./store/alert-repository.js";
import { Database } from "./store/database.js";
import { pruneAudit } from "./store/audit-repository.js";
import { newOperatorToken, removeServerFile, writeServerFile } from "./server-file.js";

export interface RunningServer {
  readonly app: App;
  readonly db: Database;
  readonly url: string;
  /** Resolves when the server has stopped. */
  readonly closed: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Audit retention: prunes records older than `days` at start and then once a day (an anchor keeps
 * the rest verifiable; the prune is itself recorded). A failure is logged and tried again next time.
 */
function startRetention(db: Database, days: number, log: (s: string) => void): NodeJS.Timeout {
  const prune = (): void => {
    const before = new Date(Date.now() - days * 86_400_000);
    pruneAudit(db, before, "wijkradar", "retention").then(
      (o) => {
        if (o.removed > 0)
          log(
            `wijkradar: audit retention (${days} days): pruned ${o.removed} records (seq ${o.fromSeq}–${o.toSeq})`,
          );
        if (o.stoppedAt)
          log(`wijkradar: audit retention stopped at seq ${o.stoppedAt.seq}: ${o.stoppedAt.detail}`);
      },
      (e: unknown) => log(`wijkradar: audit retention failed: ${(e as Error).message}`),
    );
  };
  prune();
  return setInterval(prune, 86_400_000).unref();
}

export async function startServer(
  config: Config,
  opts: { log?: (s: string) => void; signals?: boolean } = {},
): Promise<RunningServer> {
  const log = opts.log ?? ((s: string) => console.error(s));
  const started = performance.now();
  const db = await Database.open({ path: config.db });
  try {
    if (config.demo) {
      const progress = progressReporter("first start: loading the bundled open data");
      const reports = await loadDemoIfEmpty(db, (s) =>
        progress.step(s.index, s.total, s.file, s.phase, s.fraction),
      ).finally(() => progress.stop());
      if (reports.length > 0) {
        const values = reports.reduce((n, r) => n + r.values, 0);
        log(
          `wijkradar: loaded ${reports.length} demo files (${values.toLocaleString("en")} values) into ${config.db}`,
        );
      }
      const synth = progressReporter("first start: generating and importing the synthetic municipality");
      const micro = await loadDemoMicrodata(
        db,
        () => demoKeys(config, process.env),
        (s) => synth.step(s.index, s.total, s.step, "write", s.fraction),
      ).finally(() => synth.stop());
      if (micro.length > 0)
        log(
          `wijkradar: generated a synthetic Almere and imported ${micro.reduce((n, r) => n + r.imported, 0).toLocaleString("en")} pseudonymised records (${micro.length} sources)`,
        );
    }
    const operatorToken = newOperatorToken();
    const app = await buildApp({
      db,
      logLevel: config.logLevel,
      operatorToken,
      webRoot: config.webRoot,
      disclosure: config.disclosure,
      detection: config.detection,
      sessions: {
        idleMinutes: config.auth.idleMinutes,
        absoluteHours: config.auth.absoluteHours,
        throttle: config.auth.throttle,
      },
      secureCookies: config.auth.secureCookies,
      field: config.field,
      // The client secret from the environment (WIJKRADAR_OIDC_CLIENT_SECRET) wins over the config file's.
      oidc: config.auth.oidc && {
        ...config.auth.oidc,
        clientSecret: process.env.WIJKRADAR_OIDC_CLIENT_SECRET || config.auth.oidc.clientSecret,
      },
      security: {
        tls: config.security.tls,
        trustProxy: config.security.trustProxy,
        rateLimit: {
          max: config.security.rateLimit.max,
          windowMs: config.security.rateLimit.windowSeconds * 1000,
          allowList: config.security.rateLimit.allowList,
        },
      },
    });
    if (config.demo && !db.readOnly) {
      // Synthetic field observations for Almere (first start only), counted before the first run.
      const seeded = await loadDemoObservations(db, app.observations).catch(async (e: unknown) => {
        await app.close();
        throw e;
      });
      if (seeded)
        log(
          `wijkradar: generated ${seeded.observations.toLocaleString("en")} synthetic field observations in ${seeded.buurten} buurten (${seeded.seconds.generate.toFixed(1)} s) and counted them (${seeded.values.toLocaleString("en")} values, ${seeded.seconds.count.toFixed(1)} s)`,
        );
    }
    try {
      await app.server.listen({ port: config.port, host: config.host });
    } catch (e) {
      await app.close();
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EADDRINUSE")
        throw new ConfigError(
          `port ${config.port} on ${config.host} is already in use; choose another with --port or WIJKRADAR_PORT`,
        );
      if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND")
        throw new ConfigError(
          `cannot listen on ${config.host}: no such address on this machine; use --host 127.0.0.1 or WIJKRADAR_HOST`,
        );
      if (code === "EACCES")
        throw new ConfigError(`not allowed to listen on port ${config.port}; use a port above 1023`);
      throw e;
    }
    const retention =
      config.audit.retentionDays > 0 && !db.readOnly
        ? startRetention(db, config.audit.retentionDays, log)
        : undefined;
    if (config.demo && !db.readOnly) {
      // One account per role with a random one-time password, printed once (first start only).
      const accounts = await createDemoAccounts(db, app.admin, config.field.categories);
      for (const line of demoAccountLines(accounts)) log(line);
    }
    const host = config.host.includes(":") ? `[${config.host}]` : config.host;
    const url = `http://${host}:${config.port}`;
    if (config.db !== ":memory:") writeServerFile(config.db, { pid: process.pid, url, token: operatorToken });
    log(
      `wijkradar: ready in ${Math.round(performance.now() - started)} ms at ${url} (API docs ${url}/api/docs, database ${config.db})`,
    );
    if (config.demo && !(await hasFinishedRun(db))) {
      // The first early-warning run over the demo data, while the server already answers; its
      // progress is at /api/detection/runs.
      const run = app.detection.start({ trigger: "first-start", actor: "wijkradar" });
      void run.runId.then((id) =>
        log(`wijkradar: early-warning run ${id} started (progress: ${url}/api/detection/runs/${id})`),
      );
      run.done.then(
        (o) =>
          log(
            `wijkradar: early-warning run ${o.runId} finished in ${o.seconds.toFixed(1)} s: ${o.tests.toLocaleString("en")} tests, ${o.alerts} alerts (${o.red} red, ${o.yellow} yellow)`,
          ),
        (e: unknown) => log(`wijkradar: early-warning run failed: ${(e as Error).message}`),
      );
    }

    let resolveClosed!: () => void;
    const closed = new Promise<void>((r) => (resolveClosed = r));
    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> =>
      (stopping ??= (async () => {
        removeServerFile(config.db);
        if (retention) clearInterval(retention);
        await app.close();
        await db.checkpoint();
        db.close();
        resolveClosed();
      })());
    if (opts.signals ?? true) {
      const onSignal = (): void => {
        log("wijkradar: stopping");
        void stop();
      };
      process.once("SIGINT", onSignal);
      process.once("SIGTERM", onSignal);
    }
    return { app, db, url, closed, stop };
  } catch (e) {
    db.close();
    throw e;
  }
}
