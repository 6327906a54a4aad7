// Confirmed facts the emulators implemented but no test pinned before the sandbox audit (docs/sandbox-fidelity.md): each test fails if the fact is broken.
import { afterEach, describe, expect, it } from 'vitest';
import { createTargetEmulator, type TargetEmulator } from '../../src/sandbox/adobe-target/index.js';
import { CUSTOMERIO_EMULATOR, startSandbox, type RunningSandbox } from '../../src/sandbox/index.js';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/types.js';
import { adminHeaders, buildClock, buildContext, buildRequest, callAdmin, V } from './adobe-target-helpers.js';
import { buildSeed } from '../providers/customerio/helpers.js';

describe('Customer.io membership: limit is capped at 30000', () => {
  let sb: RunningSandbox | undefined;
  afterEach(async () => {
    await sb?.close();
    sb = undefined;
  });

  it('answers 30000 members when asked for more, with a next for the rest', async () => {
    sb = await startSandbox({ emulators: [CUSTOMERIO_EMULATOR], seed: buildSeed({ people: 30_005, segments: [{ id: 1, name: 'Big', members: [1, 30_005] }] }) });
    const headers = { authorization: `Bearer ${SANDBOX_CREDENTIALS.customerio.app_api_key}` };
    const first = (await (await fetch(`${sb.url}/cio/app/v1/segments/1/membership?limit=50000`, { headers })).json()) as { ids: string[]; next: string };
    expect(first.ids).toHaveLength(30_000);
    const rest = (await (await fetch(`${sb.url}/cio/app/v1/segments/1/membership?limit=50000&start=${encodeURIComponent(first.next)}`, { headers })).json()) as { ids: string[]; next: string };
    expect(rest.ids).toHaveLength(5);
    expect(rest.next).toBe('');
  });
});

describe('Target offers: DELETE answers the deleted offer', () => {
  it('echoes content and JSON offers on delete, then 404s', async () => {
    const em = createTargetEmulator(buildContext());
    const auth = await adminHeaders(em);
    for (const [type, content] of [['content', '<b>gold</b>'], ['json', { tier: 'gold' }]] as const) {
      const created = await callAdmin(em, auth, 'POST', `/offers/${type}`, 2, { name: `gold-${type}`, content });
      expect(created.status).toBe(201);
      const id = (created.body as { id: number }).id;
      const deleted = await callAdmin(em, auth, 'DELETE', `/offers/${type}/${id}`, 2);
      expect(deleted.status).toBe(200);
      expect(deleted.body).toEqual(created.body);
      expect((await callAdmin(em, auth, 'GET', `/offers/${type}/${id}`, 2)).status).toBe(404);
    }
  });
});

describe('Target Profile APIs: documented limits and lifetimes', () => {
  const fetchProfile = (em: TargetEmulator, id: string, headers: Record<string, string> = {}) =>
    em.handle(buildRequest('target-edge', 'GET', `/rest/v1/profiles/thirdPartyId/${id}`, { query: { client: 'acme' }, headers }));

  it('forgets a profile after 14 days without an update', async () => {
    const clock = buildClock();
    const em = createTargetEmulator(buildContext({ now: clock.now }));
    em.state.putProfile('crm-1', { a: '1' });
    em.state.putProfile('crm-2', { a: '1' });
    clock.advance(13 * 86_400_000);
    em.state.putProfile('crm-2', { a: '2' });
    expect((await fetchProfile(em, 'crm-1'))?.status).toBe(200);
    clock.advance(86_400_000 + 1000);
    expect((await fetchProfile(em, 'crm-1'))?.status).toBe(404);
    expect((await fetchProfile(em, 'crm-2'))?.status).toBe(200);
  });

  it('refuses a bulk upload of 50 MB or more with an XML failure, and takes one just under', async () => {
    const clock = buildClock();
    const em = createTargetEmulator(buildContext({ now: clock.now }), { batchDelayMs: 10 });
    const head = 'batch=thirdPartyId,blob\n';
    const row = (i: number, len: number) => `crm-${i},${'v'.repeat(len)}\n`;
    const under = head + row(1, 50 * 1024 * 1024 - head.length - 'crm-1,\n'.length - 1);
    expect(Buffer.byteLength(under)).toBe(50 * 1024 * 1024 - 1);
    const ok = await em.handle(buildRequest('target-edge', 'POST', '/m2/acme/v2/profile/batchUpdate', { body: under }));
    expect(ok?.status).toBe(200);
    expect(String(ok?.body)).toContain('<success>true</success>');
    const over = await em.handle(buildRequest('target-edge', 'POST', '/m2/acme/v2/profile/batchUpdate', { body: `${under}x` }));
    expect(over?.status).toBe(400);
    expect(String(over?.body)).toMatch(/^<response><success>false<\/success><message>[^<]*50 MB/);
    clock.advance(10);
    expect(em.state.profile('crm-1')?.attributes.get('blob')?.value.length).toBe(50 * 1024 * 1024 - head.length - 'crm-1,\n'.length - 1);
  });

  it('limits a single update to 8 KB on GET and 60 KB on POST, and ignores empty values there too', async () => {
    const em = createTargetEmulator(buildContext());
    em.state.putProfile('crm-1', { a: 'keep' });
    const big = 'x'.repeat(9 * 1024);
    const get = await em.handle(buildRequest('target-edge', 'GET', '/m2/acme/profile/update', { query: { mbox3rdPartyId: 'crm-1', 'profile.b': big } }));
    expect(get?.status).toBe(414);
    const post = await em.handle(
      buildRequest('target-edge', 'POST', '/m2/acme/profile/update', {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `mbox3rdPartyId=crm-1&profile.b=${'y'.repeat(61 * 1024)}`,
      }),
    );
    expect(post?.status).toBe(413);
    const fine = await em.handle(
      buildRequest('target-edge', 'POST', '/m2/acme/profile/update', {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `mbox3rdPartyId=crm-1&profile.a=&profile.b=${'y'.repeat(50 * 1024)}`,
      }),
    );
    expect(fine?.status).toBe(200);
    const p = em.state.profile('crm-1')!;
    expect(p.attributes.get('a')?.value).toBe('keep');
    expect(p.attributes.get('b')?.value).toHaveLength(50 * 1024);
  });

  it('accepts the profile token as Authorization: Bearer or the legacy access_token header, and nothing else', async () => {
    const em = createTargetEmulator(buildContext({ credentials: undefined }), { requireProfileAuth: true });
    em.state.putProfile('crm-1', { a: '1' });
    const auth = await adminHeaders(em);
    const tok = await em.handle(buildRequest('target-admin', 'POST', '/acme/target/authentication/token', { headers: { ...auth, accept: V(1) }, query: { authorizationScope: 'profile_api' } }));
    const token = (tok?.body as { accessToken: string }).accessToken;
    expect((await fetchProfile(em, 'crm-1', { access_token: token }))?.status).toBe(200);
    expect((await fetchProfile(em, 'crm-1', { authorization: `Bearer ${token}x` }))?.status).toBe(401);
    // Regenerating invalidates the previous token.
    await em.handle(buildRequest('target-admin', 'POST', '/acme/target/authentication/token', { headers: { ...auth, accept: V(1) }, query: { authorizationScope: 'profile_api' } }));
    expect((await fetchProfile(em, 'crm-1', { authorization: `Bearer ${token}` }))?.status).toBe(401);
  });
});

describe('Target Delivery: profile parameter limits', () => {
  const deliver = (em: TargetEmulator, profileParameters: Record<string, string>) =>
    em.handle(
      buildRequest('target-edge', 'POST', '/rest/v1/delivery', {
        query: { client: 'acme', sessionId: 's1' },
        headers: { 'content-type': 'application/json' },
        body: { id: { thirdPartyId: 'v' }, context: { channel: 'web' }, execute: { mboxes: [{ index: 0, name: 'hero', profileParameters }] } },
      }),
    );

  it('takes at most 50 per mbox, names of at most 128 characters not starting with profile.', async () => {
    const em = createTargetEmulator(buildContext());
    const fifty = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`p${i}`, 'v']));
    expect((await deliver(em, fifty))?.status).toBe(200);
    const tooMany = await deliver(em, { ...fifty, p50: 'v' });
    expect(tooMany?.status).toBe(400);
    expect(tooMany?.body).toEqual({ status: 400, message: expect.any(String) });
    expect((await deliver(em, { 'profile.seg': 'true' }))?.status).toBe(400);
    expect((await deliver(em, { ['n'.repeat(129)]: 'true' }))?.status).toBe(400);
    expect((await deliver(em, { ['n'.repeat(128)]: 'true' }))?.status).toBe(200);
  });

  it('requires sessionId (1-128 printable characters) and client', async () => {
    const em = createTargetEmulator(buildContext());
    const call = (query: Record<string, string>) =>
      em.handle(buildRequest('target-edge', 'POST', '/rest/v1/delivery', { query, headers: { 'content-type': 'application/json' }, body: { context: { channel: 'web' } } }));
    expect((await call({ client: 'acme', sessionId: 's' }))?.status).toBe(200);
    expect((await call({ client: 'acme' }))?.status).toBe(400);
    expect((await call({ client: 'acme', sessionId: 'x'.repeat(129) }))?.status).toBe(400);
    expect((await call({ client: 'acme', sessionId: 'has space' }))?.status).toBe(400);
    expect((await call({ sessionId: 's' }))?.status).toBe(400);
  });
});
