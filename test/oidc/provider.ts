import { fork, type ChildProcess } from 'node:child_process';
import type { JsonWebKey } from 'node:crypto';
import { join } from 'node:path';
import { hasExited, readyMessage, trackChild } from '../utils/child-processes';

/** The resource (and `aud`) the provider issues access tokens for, and another API's. */
export const API_AUDIENCE = 'https://api.test';
export const OTHER_AUDIENCE = 'https://other-api.test';

/** A running oidc-provider in a child process (see provider-process.mjs), and what the tests do with it. */
export class TestProvider {
  private nextId = 0;
  private constructor(
    private readonly child: ChildProcess,
    readonly issuer: string,
  ) {}

  /**
   * Starts a provider on a random local port; `redirectUris` are those of the `swagger` client. With
   * `accessTokens: 'opaque'`, access tokens are opaque and its introspection and revocation endpoints are on.
   */
  static async start(redirectUris: string[] = [], options: { accessTokens?: 'jwt' | 'opaque'; dpop?: boolean } = {}): Promise<TestProvider> {
    const child = trackChild(
      fork(join(__dirname, 'provider-process.mjs'), redirectUris, {
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
        env: { ...process.env, OIDC_ACCESS_TOKENS: options.accessTokens ?? 'jwt', OIDC_DPOP: options.dpop ? '1' : '0' },
      }),
    );
    const issuer = await readyMessage(child, 'the OpenID provider');
    return new TestProvider(child, issuer);
  }

  /** A client-credentials access token (a JWT) from the token endpoint. */
  async clientCredentialsToken(clientId = 'machine', scope = 'read write', resource = API_AUDIENCE): Promise<string> {
    return (await this.tokenResponse(clientId, scope, resource)).access_token;
  }

  /**
   * A DPoP-bound client-credentials access token (RFC 9449 §5), for a provider started with `dpop: true`: `proof` is
   * the DPoP proof of the token request (`htm` POST, `htu` the token endpoint, no `ath`).
   */
  async dpopBoundToken(proof: string, clientId = 'machine', scope = 'read write', resource = API_AUDIENCE): Promise<string> {
    const body = await this.tokenResponse(clientId, scope, resource, proof);
    if (body.token_type !== 'DPoP') throw new Error(`token endpoint: token_type ${body.token_type}, not DPoP`);
    return body.access_token;
  }

  /** The token endpoint's URL (the `htu` of a token request's DPoP proof). */
  get tokenEndpoint(): string {
    return `${this.issuer}/token`;
  }

  private async tokenResponse(clientId: string, scope: string, resource: string, dpop?: string): Promise<{ access_token: string; token_type?: string }> {
    const response = await fetch(this.tokenEndpoint, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${clientId}:${clientId}-secret`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
        ...(dpop === undefined ? {} : { dpop }),
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope, resource }).toString(),
    });
    const body = (await response.json()) as { access_token?: string; token_type?: string };
    if (!response.ok || typeof body.access_token !== 'string') throw new Error(`token endpoint: ${response.status} ${JSON.stringify(body)}`);
    return body as { access_token: string; token_type?: string };
  }

  /** The provider's published JWKS. */
  async jwks(): Promise<{ keys: (JsonWebKey & { kid: string })[] }> {
    return (await fetch(`${this.issuer}/jwks`)).json() as Promise<{ keys: (JsonWebKey & { kid: string })[] }>;
  }

  /** Publishes the named keys (created on first use) and signs with the first; returns their kids. */
  setKeys(names: string[]): Promise<string[]> {
    return this.send('keys', { kids: names }) as Promise<string[]>;
  }

  /** Sets the redirect URIs of the `swagger` client (authorization code + PKCE). */
  async setRedirectUris(uris: string[]): Promise<void> {
    await this.send('redirectUris', { uris });
  }

  /** Revokes a token at the provider's revocation endpoint (RFC 7009), as the client it was issued to. */
  async revoke(token: string, clientId = 'machine'): Promise<void> {
    const response = await fetch(`${this.issuer}/token/revocation`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${clientId}:${clientId}-secret`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
    });
    if (!response.ok) throw new Error(`revocation endpoint: ${response.status} ${await response.text()}`);
  }

  /** Requests the provider served: all of them, and those of the JWKS, introspection and revocation endpoints. */
  counts(): Promise<{ requests: number; jwks: number; introspection: number; revocation: number }> {
    return this.send('counts') as Promise<{ requests: number; jwks: number; introspection: number; revocation: number }>;
  }

  /** How many times the JWKS was requested. */
  jwksRequests(): Promise<number> {
    return this.send('jwksRequests') as Promise<number>;
  }

  /** Stops listening: every connection is refused until `up()`. */
  async down(): Promise<void> {
    await this.send('down');
  }

  async up(): Promise<void> {
    await this.send('up');
  }

  async stop(): Promise<void> {
    if (hasExited(this.child)) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill();
    await exited;
  }

  private send(cmd: string, extra: object = {}): Promise<unknown> {
    const id = ++this.nextId;
    return new Promise((resolve) => {
      const listener = (message: { id?: number; value?: unknown }) => {
        if (message.id !== id) return;
        this.child.off('message', listener);
        resolve(message.value);
      };
      this.child.on('message', listener);
      this.child.send({ id, cmd, ...extra });
    });
  }
}
