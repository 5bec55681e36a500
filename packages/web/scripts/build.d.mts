/** Types of build.mjs (plain JavaScript, so that it runs before anything is compiled). */

/** packages/web, found from the script's own location. */
export declare const WEB_DIR: string;
/** packages/core/src. */
export declare const CORE_SRC_DIR: string;
/** The root package-lock.json. */
export declare const LOCK_FILE: string;
/** packages/web/dist. */
export declare const DIST_DIR: string;
/** The name of the stamp file in dist: { inputsHash, builtAt, viteVersion }. */
export declare const STAMP_FILE: string;

export interface WebBuildResult {
  /** Whether a build ran (false: the build in dist was fresh). */
  readonly built: boolean;
  /** Milliseconds taken (checking, and building when it built). */
  readonly ms: number;
  /** The absolute path of packages/web/dist. */
  readonly dir: string;
}

export interface WebBuildStatus {
  readonly fresh: boolean;
  /** Why the build is not fresh: "no build yet", "no build stamp" or "sources changed". */
  readonly reason?: string;
  /** The hash of the current inputs. */
  readonly hash: string;
  readonly dir: string;
}

/** SHA-256 (hex) over the relative paths and contents of the build inputs. */
export declare function inputsHash(webDir: string, coreSrcDir: string, lockFile: string): string;

/** Whether packages/web/dist is fresh, and if not why. */
export declare function webBuildStatus(): WebBuildStatus;

/** Writes `.gz` and `.br` beside every .js, .mjs, .css, .html, .svg and .json file under `dir`. */
export declare function precompress(dir: string): void;

/** Builds the dashboard when the build is missing or stale (or `force`); logs one line when it builds. */
export declare function ensureWebBuild(options?: {
  readonly force?: boolean;
  readonly log?: (line: string) => void;
}): Promise<WebBuildResult>;
