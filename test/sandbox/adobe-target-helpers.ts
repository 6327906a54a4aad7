// Builders for in-process Target emulator tests: contexts, requests and a token helper.
import type { EmulatorContext, FaultSettings, HostName, SandboxRequest, SandboxResponse } from '../../src/sandbox/types.js';
import type { TargetEmulator } from '../../src/sandbox/adobe-target/index.js';
import { DEFAULT_FAULTS } from '../../src/sandbox/faults.js';

export function buildFaults(over: Partial<FaultSettings> = {}): FaultSettings {
  return { ...DEFAULT_FAULTS, burst429: { ...DEFAULT_FAULTS.burst429 }, ...over };
}

/** A clock tests move by hand. */
export function buildClock(start = Date.parse('2026-06-01T12:00:00Z')): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

export function buildContext(over: Partial<EmulatorContext> = {}, faults: Partial<FaultSettings> = {}): EmulatorContext {
  let s = 42;
  return {
    now: Date.now,
    faults: buildFaults(faults),
    random: () => {
      s = (s * 1103515245 + 12345) % 2147483648;
      return s / 2147483648;
    },
    ...over,
  };
}

export interface RequestInit {
  headers?: Record<string, string>;
  query?: Record<string, string | string[]>;
  body?: unknown;
}

export function buildRequest(host: HostName, method: string, path: string, init: RequestInit = {}): SandboxRequest {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(init.query ?? {})) for (const x of Array.isArray(v) ? v : [v]) query.append(k, x);
  const body =
    init.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(init.body) ? init.body : Buffer.from(typeof init.body === 'string' ? init.body : JSON.stringify(init.body));
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(init.headers ?? {})) headers[k.toLowerCase()] = v;
  return { host, method, path, query, headers, body, baseUrl: `http://127.0.0.1:4010/target/${host.slice('target-'.length)}` };
}

export const V = (n: number) => `application/vnd.adobe.target.v${n}+json`;

/** Gets an IMS token in-process and returns Admin headers for it. */
export async function adminHeaders(em: TargetEmulator, clientId = 'sandbox-client'): Promise<Record<string, string>> {
  const res = (await em.handle(
    buildRequest('target-ims', 'POST', '/ims/token/v3', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=client_credentials&client_id=${clientId}&client_secret=s3cr3t-value&scope=openid`,
    }),
  )) as SandboxResponse;
  const token = (res.body as { access_token: string }).access_token;
  return { authorization: `Bearer ${token}`, 'x-api-key': clientId };
}

/** Calls the Admin host in-process with versioned media types. */
export async function callAdmin(
  em: TargetEmulator,
  auth: Record<string, string>,
  method: string,
  path: string,
  version: number,
  body?: unknown,
  query?: Record<string, string | string[]>,
): Promise<SandboxResponse> {
  const headers: Record<string, string> = { ...auth };
  if (body !== undefined) headers['content-type'] = V(version);
  else headers.accept = V(version);
  const res = await em.handle(buildRequest('target-admin', method, `/acme/target${path}`, { headers, body, query }));
  if (!res) throw new Error(`no route for ${method} ${path}`);
  return res;
}
