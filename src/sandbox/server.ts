// The sandbox's one loopback HTTP server: mounts each emulated host under its HOST_PREFIX, reads
// the body, applies deterministic faults, dispatches to the emulator and records every exchange.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createRandom, FaultInjector, type FaultDecision } from './faults.js';
import {
  HOST_PREFIX,
  type Emulator,
  type EmulatorContext,
  type EmulatorFactory,
  type FaultSettings,
  type HostName,
  type SandboxCredentials,
  type SandboxRequest,
  type SandboxResponse,
} from './types.js';

export interface SandboxServerOptions {
  factories: EmulatorFactory[];
  /** Live fault settings (mutated in place by setFaults, so emulators see changes). */
  faults: FaultSettings;
  credentials: SandboxCredentials;
  /** Root state folder; each emulator gets `<stateDir>/<factory name>`. Undefined: memory only. */
  stateDir?: string;
  port?: number;
  now?: () => number;
  /** Keep every exchange in `requests` (tests); default true. */
  record?: boolean;
}

/** One request as the server saw it, with what it answered (for contract tests and rate measurements). */
export interface RecordedExchange {
  /** performance.now() when the request's headers arrived. */
  at: number;
  host?: HostName;
  method: string;
  /** Path below the host prefix. */
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: Buffer;
  fault: FaultDecision['kind'];
  /** Undefined when the connection was reset. */
  response?: { status: number; headers: Record<string, string>; body: Buffer };
}

export interface SandboxServer {
  readonly url: string;
  readonly emulators: Record<string, Emulator>;
  readonly requests: RecordedExchange[];
  /** Reseeds the fault and emulator PRNGs from faults.seed (after the seed changed). */
  reseed(): void;
  close(): Promise<void>;
}

/** Emulator PRNG draws are kept apart from fault draws, so emulator behaviour never shifts faults. */
const EMULATOR_SEED_SALT = 0x9e3779b9;

const HOSTS = (Object.entries(HOST_PREFIX) as Array<[HostName, string]>).sort((a, b) => b[1].length - a[1].length);

export async function startSandboxServer(opts: SandboxServerOptions): Promise<SandboxServer> {
  const now = opts.now ?? (() => Date.now());
  const injector = new FaultInjector(opts.faults);
  let emulatorRandom = createRandom(opts.faults.seed ^ EMULATOR_SEED_SALT);
  const emulators: Record<string, Emulator> = {};
  const byHost = new Map<HostName, Emulator>();
  for (const factory of opts.factories) {
    const ctx: EmulatorContext = {
      stateDir: opts.stateDir ? join(opts.stateDir, factory.name) : undefined,
      now,
      faults: opts.faults,
      random: () => emulatorRandom(),
      credentials: opts.credentials,
    };
    const emulator = factory.create(ctx);
    emulators[factory.name] = emulator;
    for (const host of emulator.hosts) {
      if (byHost.has(host)) throw new Error(`Sandbox: two emulators serve host ${host}`);
      byHost.set(host, emulator);
    }
  }
  const requests: RecordedExchange[] = [];
  // Hung requests wait on these timers; close() releases them so nothing keeps the process alive.
  const holds = new Set<{ timer: NodeJS.Timeout; release: () => void }>();
  const holdFor = (ms: number) =>
    new Promise<void>((resolve) => {
      const hold = { timer: setTimeout(() => release(), ms), release: () => release() };
      const release = () => {
        clearTimeout(hold.timer);
        holds.delete(hold);
        resolve();
      };
      holds.add(hold);
    });
  const record = opts.record ?? true;
  let baseUrl = '';

  const server: Server = createServer((req, res) => {
    handleRequest(req, res).catch((err: unknown) => {
      // A bug in an emulator: answer 500 rather than hanging the client.
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: `sandbox failure: ${(err as Error).message}` }));
      } else res.destroy();
    });
  });
  server.keepAliveTimeout = 5000;

  async function handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = performance.now();
    const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
    const body = await readBody(req);
    const method = (req.method ?? 'GET').toUpperCase();
    const mount = HOSTS.find(([, prefix]) => url.pathname === prefix || url.pathname.startsWith(`${prefix}/`));
    const path = mount ? url.pathname.slice(mount[1].length) || '/' : url.pathname;
    const exchange: RecordedExchange = { at, host: mount?.[0], method, path, query: url.searchParams, headers: req.headers, body, fault: 'none' };
    if (record) requests.push(exchange);

    if (!mount) {
      if (method === 'GET' && url.pathname === '/') return send(res, exchange, { status: 200, body: describeHosts() });
      return send(res, exchange, { status: 404, body: { error: `no emulated host at ${url.pathname}`, hosts: HOST_PREFIX } });
    }
    const [host, prefix] = mount;
    const emulator = byHost.get(host);
    if (!emulator) return send(res, exchange, { status: 404, body: { error: `host ${host} is not emulated by this sandbox` } });
    const errorOf = (status: number, detail: string): SandboxResponse =>
      emulator.errorResponse?.(host, status, detail) ?? { status, body: { error: detail } };

    const decision = injector.decide(host);
    exchange.fault = decision.kind;
    if (decision.latencyMs > 0) await sleep(decision.latencyMs);
    const sreq: SandboxRequest = { host, method, path, query: url.searchParams, headers: req.headers, body, baseUrl: `${baseUrl}${prefix}` };
    switch (decision.kind) {
      case 'quota429':
        return send(res, exchange, errorOf(429, 'daily request quota exceeded'));
      case 'burst429': {
        const r = errorOf(429, `rate limited to 10 requests per 1s (reference ${Math.floor(at).toString(16)})`);
        if (decision.retryAfterSec === undefined) return send(res, exchange, r);
        return send(res, exchange, { ...r, headers: { ...(r.headers ?? {}), 'retry-after': String(decision.retryAfterSec) } });
      }
      case 'error':
        return send(res, exchange, errorOf(decision.status, 'internal server error (injected)'));
      case 'reset-before':
        req.socket.destroy();
        return;
      case 'reset-after':
        await emulator.handle(sreq);
        req.socket.destroy();
        return;
      case 'hang':
        await holdFor(decision.hangMs);
        req.socket.destroy();
        return;
      case 'malformed':
      case 'none':
        break;
    }
    const answer = (await emulator.handle(sreq)) ?? errorOf(404, `no route for ${method} ${path}`);
    const breakable = answer.status >= 200 && answer.status < 300 && answer.body !== undefined && typeof answer.body === 'object' && !Buffer.isBuffer(answer.body);
    if (decision.kind === 'malformed' && breakable) {
      const text = JSON.stringify(answer.body);
      return send(res, exchange, { ...answer, headers: { 'content-type': 'application/json', ...(answer.headers ?? {}) }, body: text.slice(0, Math.max(1, Math.floor(text.length / 2))) });
    }
    send(res, exchange, answer);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: baseUrl,
    emulators,
    requests,
    reseed() {
      injector.reseed();
      emulatorRandom = createRandom(opts.faults.seed ^ EMULATOR_SEED_SALT);
    },
    async close() {
      for (const hold of [...holds]) hold.release();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      for (const e of Object.values(emulators)) await e.close?.();
    },
  };
}

function describeHosts(): Record<string, unknown> {
  return { sandbox: 'audiences', hosts: HOST_PREFIX };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, exchange: RecordedExchange, r: SandboxResponse): void {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers ?? {})) headers[k.toLowerCase()] = v;
  let payload: Buffer;
  if (r.body === undefined || r.status === 204) payload = Buffer.alloc(0);
  else if (Buffer.isBuffer(r.body)) payload = r.body;
  else if (typeof r.body === 'string') {
    payload = Buffer.from(r.body, 'utf8');
    if (payload.length > 0) headers['content-type'] ??= 'text/plain; charset=utf-8';
  } else {
    payload = Buffer.from(JSON.stringify(r.body), 'utf8');
    headers['content-type'] ??= 'application/json';
  }
  headers['content-length'] = String(payload.length);
  exchange.response = { status: r.status, headers, body: payload };
  res.writeHead(r.status, headers);
  res.end(payload);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
