// Secrets never leak: distinctive credentials go through every kind of failure (auth, quota, rate
// limit, network, a server that echoes the Authorization header) and appear in no message, hint,
// JSON report, inspected error or CLI output.
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CustomerioClient } from '../../../src/providers/customerio/client.js';
import { PlatformError } from '../../../src/http/errors.js';
import { memoryOutput } from '../../../src/cli/io.js';
import { reportError } from '../../../src/cli/main.js';
import { startSandbox, type RunningSandbox } from '../../../src/sandbox/index.js';
import type { EmulatorFactory } from '../../../src/sandbox/types.js';
import { startCioSandbox } from './helpers.js';

const APP_KEY = 'cioAPPkey-Zq81-distinctive-7731';
const SITE_ID = 'site-Kx77-distinctive';
const TRACK_KEY = 'cioTRACKkey-Pp29-distinctive-5512';
const WRONG_KEY = 'cioWRONGkey-Hh04-distinctive-0199';

const forms = (v: string) => [v, Buffer.from(v).toString('base64'), encodeURIComponent(v)];
const FORBIDDEN = [...forms(APP_KEY), ...forms(TRACK_KEY), ...forms(WRONG_KEY), ...forms(`${SITE_ID}:${TRACK_KEY}`)];

/** Everything a user or a log could ever see of an error. */
function surfaces(err: unknown): string {
  const out = memoryOutput();
  reportError(err, out);
  const e = err as PlatformError;
  return [String(err), e.message, e.hint ?? '', e.stack ?? '', JSON.stringify(err), JSON.stringify(e.toJSON?.()), inspect(err, { depth: 10 }), out.stdout, out.stderr].join('\n');
}

/** Answers every request 400 with the Authorization header it got in the error detail. */
const ECHO: EmulatorFactory = {
  name: 'echo',
  create: () => ({
    hosts: ['cio-app', 'cio-track'],
    handle: (req) => {
      const auth = String(req.headers.authorization ?? '');
      const decoded = auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString() : '';
      const detail = `bad request with ${auth} (${decoded})`;
      return req.host === 'cio-app' ? { status: 400, body: { errors: [{ detail, status: '400' }] } } : { status: 400, body: { meta: { errors: [detail] } } };
    },
  }),
};

const fast = { retry: { retries: 1, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 10 }, timeoutMs: 3000 };

async function collect(sb: RunningSandbox, providerOver: Partial<RunningSandbox['providers']['customerio']> = {}): Promise<unknown[]> {
  const cio = new CustomerioClient({ provider: { ...sb.providers.customerio, ...providerOver }, http: fast });
  const errors: unknown[] = [];
  const attempts: Array<() => Promise<unknown>> = [
    () => cio.listSegments(),
    () => cio.getAttributes(['cust_000001']),
    () => cio.createManualSegment({ name: 'x' }),
    () => cio.addToSegment(1, ['cust_000001']),
    () => cio.identify('cust_000001', { plan: 'pro' }),
    () => cio.getRegion(),
  ];
  for (const attempt of attempts) await attempt().catch((err: unknown) => errors.push(err));
  return errors;
}

describe('secrets', () => {
  it('never appear in errors or output, whatever fails', async () => {
    const credentials = { customerio: { app_api_key: APP_KEY, site_id: SITE_ID, track_api_key: TRACK_KEY } };
    const errors: unknown[] = [];

    // Wrong keys: 401 on both APIs.
    const auth = await startCioSandbox({ credentials });
    errors.push(...(await collect(auth, { app_api_key: WRONG_KEY, track_api_key: WRONG_KEY })));
    // Right keys, but a quota and 429 bursts that outlast the retries.
    const quota = await startCioSandbox({ credentials, faults: { quota429: true } });
    errors.push(...(await collect(quota)));
    const burst = await startCioSandbox({ credentials, faults: { burst429: { every: 1, length: 50, retryAfterSec: 30 } } });
    errors.push(...(await collect(burst)));
    // A server that echoes the Authorization header back.
    const echo = await startSandbox({ credentials, emulators: [ECHO], seed: 'none' });
    try {
      errors.push(...(await collect(echo)));
    } finally {
      await echo.close();
    }
    // Nothing listening.
    const closed = await startCioSandbox({ credentials });
    const providers = closed.providers.customerio;
    await closed.close();
    const gone = new CustomerioClient({ provider: providers, http: fast });
    await gone.listSegments().catch((err: unknown) => errors.push(err));

    expect(errors.length).toBeGreaterThanOrEqual(20);
    expect(errors.every((e) => e instanceof PlatformError)).toBe(true);
    const kinds = new Set(errors.map((e) => (e as PlatformError).kind));
    expect(kinds).toEqual(new Set(['auth', 'quota', 'rate_limited', 'http', 'network']));
    // The echo really sent the credentials back, so this checks redaction, not luck.
    const echoed = errors.filter((e) => (e as PlatformError).status === 400).map((e) => (e as PlatformError).message);
    expect(echoed.some((m) => m.includes('[REDACTED]'))).toBe(true);

    const text = errors.map(surfaces).join('\n');
    for (const secret of FORBIDDEN) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/Bearer (?!token\b|\[REDACTED\])\S/);
  });
});
