/**
 * OpenID Connect login: a small client around openid-client (v6) for the authorization code flow
 * with PKCE (S256), state and nonce — how a municipality connects its Azure AD / Entra ID, Keycloak
 * or eHerkenning broker. The provider's metadata is discovered lazily at first use; a failed
 * discovery is not kept, so the next login tries again. openid-client validates the callback: state,
 * the `iss` parameter, the PKCE verifier at the token endpoint, and the ID token's signature, issuer,
 * audience, expiry and nonce. Plain-HTTP providers are allowed only on the loopback address (tests).
 */
import * as client from "openid-client";

export interface OidcSettings {
  /** The provider's issuer identifier (its discovery document is at <issuer>/.well-known/openid-configuration). */
  readonly issuer: string;
  readonly clientId: string;
  /** Confidential client (client_secret_post); without one the client is public (PKCE only). */
  readonly clientSecret?: string | undefined;
  /** wijkradar's callback as registered at the provider: https://<host>/api/auth/oidc/callback. */
  readonly redirectUri: string;
  /** Default "openid profile email". */
  readonly scopes?: string | undefined;
  /** The claim whose value (lower-cased) is the wijkradar user name; default "preferred_username". */
  readonly usernameClaim?: string | undefined;
  /** The dashboard's button text; default "Inloggen via je organisatie". */
  readonly label?: string | undefined;
}

export const OIDC_DEFAULTS = Object.freeze({
  scopes: "openid profile email",
  usernameClaim: "preferred_username",
  label: "Inloggen via je organisatie",
});

/** A login through the provider that did not succeed; `status` is the HTTP status to answer with. */
export class OidcError extends Error {
  override readonly name = "OidcError";
  constructor(
    readonly status: 400 | 401 | 403 | 503,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** What the browser's round trip must bring back: kept server-side, never sent to the browser. */
export interface OidcChecks {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
}

/** Who the provider says logged in. */
export interface OidcIdentity {
  /** The ID token's `iss` (the provider's issuer identifier as discovered). */
  readonly issuer: string;
  readonly subject: string;
  /** The value of the username claim, lower-cased and trimmed; undefined when the provider sent none. */
  readonly username: string | undefined;
  readonly claims: Readonly<Record<string, unknown>>;
}

export interface OidcClientOptions {
  /** Discovery attempts per login before it fails (default 2). */
  readonly discoveryAttempts?: number;
  /** Wait between attempts (default 500 ms). */
  readonly retryDelayMs?: number;
  /** Timeout of each request to the provider in seconds (default 10). */
  readonly timeoutSeconds?: number;
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost"]);

/** Plain HTTP to the provider is allowed only on the loopback address (a provider started by a test). */
export function isLoopbackHttp(url: URL): boolean {
  return url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname);
}

/** Why something failed, with the cause (fetch failed → ECONNREFUSED, …). */
function reasonOf(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = e.cause instanceof Error ? e.cause : undefined;
  const code = cause && "code" in cause ? String(cause.code) : undefined;
  return cause && cause.message !== e.message ? `${e.message} (${code ?? cause.message})` : e.message;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class OidcClient {
  readonly settings: Readonly<Required<Omit<OidcSettings, "clientSecret">>> & {
    readonly clientSecret: string | undefined;
  };
  private readonly issuerUrl: URL;
  private readonly insecure: boolean;
  private discovering: Promise<client.Configuration> | undefined;

  constructor(
    settings: OidcSettings,
    private readonly options: OidcClientOptions = {},
  ) {
    this.settings = {
      issuer: settings.issuer,
      clientId: settings.clientId,
      clientSecret: settings.clientSecret || undefined,
      redirectUri: settings.redirectUri,
      scopes: settings.scopes ?? OIDC_DEFAULTS.scopes,
      usernameClaim: settings.usernameClaim ?? OIDC_DEFAULTS.usernameClaim,
      label: settings.label ?? OIDC_DEFAULTS.label,
    };
    this.issuerUrl = new URL(settings.issuer);
    this.insecure = isLoopbackHttp(this.issuerUrl);
    if (this.issuerUrl.protocol !== "https:" && !this.insecure)
      throw new Error(
        `auth.oidc.issuer ${settings.issuer}: expected an https:// URL (plain http only on 127.0.0.1 or localhost)`,
      );
  }

  /** The provider's configuration, discovered at first use; a failure is retried at the next call. */
  configuration(): Promise<client.Configuration> {
    this.discovering ??= this.discover().catch((e: unknown) => {
      this.discovering = undefined;
      throw e;
    });
    return this.discovering;
  }

  private async discover(): Promise<client.Configuration> {
    const attempts = Math.max(1, this.options.discoveryAttempts ?? 2);
    let last: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        return await client.discovery(
          this.issuerUrl,
          this.settings.clientId,
          this.settings.clientSecret,
          this.settings.clientSecret ? undefined : client.None(),
          {
            timeout: this.options.timeoutSeconds ?? 10,
            ...(this.insecure ? { execute: [client.allowInsecureRequests] } : {}),
          },
        );
      } catch (e) {
        last = e;
        if (attempt < attempts) await sleep((this.options.retryDelayMs ?? 500) * attempt);
      }
    }
    throw new OidcError(
      503,
      `OpenID Connect discovery of the provider ${this.settings.issuer} failed: ${reasonOf(last)}; check auth.oidc.issuer and that wijkradar can reach the provider`,
      { cause: last },
    );
  }

  /** A new authorization request: the URL to send the browser to, and the checks to keep. */
  async start(): Promise<{ url: URL; checks: OidcChecks }> {
    const config = await this.configuration();
    const codeVerifier = client.randomPKCECodeVerifier();
    const checks: OidcChecks = { state: client.randomState(), nonce: client.randomNonce(), codeVerifier };
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: this.settings.redirectUri,
      scope: this.settings.scopes,
      response_type: "code",
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: "S256",
      state: checks.state,
      nonce: checks.nonce,
    });
    return { url, checks };
  }

  /**
   * Finishes a login: validates the callback's parameters (`search`: the query string the provider
   * sent the browser back with) against the checks, exchanges the code, validates the ID token and
   * reads the username claim (from the ID token, else from the UserInfo endpoint).
   */
  async finish(search: string, checks: OidcChecks): Promise<OidcIdentity> {
    const config = await this.configuration();
    // The registered redirect URI with the callback's parameters: behind a proxy the URL the request
    // arrived at is not the one the provider knows, and the token request must name the registered one.
    const current = new URL(this.settings.redirectUri);
    current.search = search;
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(config, current, {
        expectedState: checks.state,
        expectedNonce: checks.nonce,
        pkceCodeVerifier: checks.codeVerifier,
        idTokenExpected: true,
      });
    } catch (e) {
      if (e instanceof client.AuthorizationResponseError)
        throw new OidcError(
          401,
          `the provider refused the login: ${e.error}${e.error_description ? ` (${e.error_description})` : ""}`,
          { cause: e },
        );
      throw new OidcError(401, `the provider's answer could not be validated: ${reasonOf(e)}`, { cause: e });
    }
    const idClaims = tokens.claims();
    if (!idClaims) throw new OidcError(401, "the provider sent no ID token");
    const claimName = this.settings.usernameClaim;
    let claims: Record<string, unknown> = { ...idClaims };
    if (claims[claimName] === undefined && config.serverMetadata().userinfo_endpoint) {
      // Providers may keep profile claims out of the ID token (they are at the UserInfo endpoint).
      try {
        const info = await client.fetchUserInfo(config, tokens.access_token, idClaims.sub);
        claims = { ...info, ...idClaims };
      } catch (e) {
        throw new OidcError(401, `the provider's UserInfo endpoint failed: ${reasonOf(e)}`, { cause: e });
      }
    }
    const value = claims[claimName];
    return {
      issuer: idClaims.iss,
      subject: idClaims.sub,
      username: typeof value === "string" && value.trim() !== "" ? value.trim().toLowerCase() : undefined,
      claims,
    };
  }
}
