/**
 * The server file `<database>.server.json` (mode 0600): tells other wijkradar processes of the same
 * user that a server holds the database, where it listens and the operator token for imports.
 */
import { randomBytes } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { z } from "zod";

const ServerFile = z.object({ pid: z.number().int(), url: z.string().url(), token: z.string().min(32) });
export type ServerInfo = z.infer<typeof ServerFile>;

export const serverFilePath = (dbPath: string): string => `${dbPath}.server.json`;

export function newOperatorToken(): string {
  return randomBytes(32).toString("base64url");
}

export function writeServerFile(dbPath: string, info: ServerInfo): void {
  writeFileSync(serverFilePath(dbPath), JSON.stringify(info), { mode: 0o600 });
}

export function removeServerFile(dbPath: string): void {
  rmSync(serverFilePath(dbPath), { force: true });
}

/** The running server of a database, if its file exists and its process is alive. */
export function readServerFile(dbPath: string): ServerInfo | undefined {
  let info: ServerInfo;
  try {
    info = ServerFile.parse(JSON.parse(readFileSync(serverFilePath(dbPath), "utf8")));
  } catch {
    return undefined;
  }
  try {
    process.kill(info.pid, 0);
    return info;
  } catch {
    return undefined;
  }
}
