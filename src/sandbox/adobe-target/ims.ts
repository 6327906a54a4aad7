// The emulated Adobe IMS token endpoint (client_credentials) and the gateway's token/API-key checks.
import { randomBytes } from 'node:crypto';
import type { SandboxRequest, SandboxResponse } from '../types.js';
import { gatewayError, header } from './http-util.js';

interface IssuedToken {
  clientId: string;
  expiresAt: number;
}

export interface ImsOptions {
  /** When set, only this client_id/client_secret pair gets a token; otherwise any non-empty pair does. */
  credentials?: { clientId: string; clientSecret: string };
  now: () => number;
  ttlSec: () => number;
}

/** Tokens live in memory only (never on disk): after a restart clients get 401 and fetch a new one. */
export class ImsTokens {
  private readonly tokens = new Map<string, IssuedToken>();
  constructor(private readonly opts: ImsOptions) {}

  /** POST /ims/token/v3 */
  handle(req: SandboxRequest): SandboxResponse | undefined {
    if (req.path !== '/ims/token/v3') return undefined;
    if (req.method !== 'POST') return { status: 405, body: { error: 'method_not_allowed' } };
    const ct = (header(req, 'content-type') ?? '').split(';')[0].trim().toLowerCase();
    if (ct !== 'application/x-www-form-urlencoded') {
      return { status: 400, body: { error: 'invalid_request', error_description: 'Content-Type must be application/x-www-form-urlencoded' } };
    }
    const form = new URLSearchParams(req.body.toString('utf8'));
    if (form.get('grant_type') !== 'client_credentials') {
      return { status: 400, body: { error: 'unsupported_grant_type', error_description: 'grant_type must be client_credentials' } };
    }
    const clientId = form.get('client_id') ?? '';
    const clientSecret = form.get('client_secret') ?? '';
    if (!clientId) return { status: 400, body: { error: 'invalid_client', error_description: 'missing client_id parameter' } };
    const want = this.opts.credentials;
    if (!clientSecret || (want && (want.clientId !== clientId || want.clientSecret !== clientSecret))) {
      return { status: 401, body: { error: 'invalid_client', error_description: 'invalid client_id or client_secret' } };
    }
    const ttl = this.opts.ttlSec();
    const token = `eyJ${randomBytes(36).toString('base64url')}`;
    this.tokens.set(token, { clientId, expiresAt: this.opts.now() + ttl * 1000 });
    return { status: 200, body: { access_token: token, token_type: 'bearer', expires_in: ttl } };
  }

  /** The Adobe I/O gateway in front of the Admin API: Bearer token, then X-Api-Key = the token's client id. */
  checkGateway(req: SandboxRequest): SandboxResponse | undefined {
    const auth = header(req, 'authorization') ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    const issued = m ? this.tokens.get(m[1]) : undefined;
    if (!issued || issued.expiresAt <= this.opts.now()) return gatewayError(401, '401013', 'Oauth token is not valid');
    if (header(req, 'x-api-key') !== issued.clientId) return gatewayError(403, '403003', 'Api Key is invalid');
    return undefined;
  }

  /** For tests: makes every issued token invalid at once (as if IMS revoked them). */
  revokeAll(): void {
    this.tokens.clear();
  }
}
