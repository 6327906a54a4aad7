// The webhook notifier against a loopback receiver: Slack-shaped body, retries, and a secret-free error.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryOutput } from '../../src/cli/io.js';
import { runDrift } from '../../src/cli/commands/drift.js';
import { postNotification } from '../../src/drift/notify.js';
import { clearSecrets, redact } from '../../src/model/secrets.js';

interface Receiver {
  url: string;
  posts: Array<{ method: string; url: string; body: string; type: string | undefined }>;
  close(): Promise<void>;
}
const receivers: Receiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
  clearSecrets();
});

async function startReceiver(statusFor: (n: number) => number): Promise<Receiver> {
  const posts: Receiver['posts'] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      posts.push({ method: req.method!, url: req.url!, body, type: req.headers['content-type'] });
      const status = statusFor(posts.length);
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status === 200 ? 'ok' : 'invalid_token');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const r: Receiver = {
    url: `http://127.0.0.1:${port}`,
    posts,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
  receivers.push(r);
  return r;
}

describe('postNotification', () => {
  it('posts {"text": …} as JSON to the webhook path and query', async () => {
    const r = await startReceiver(() => 200);
    await postNotification(`${r.url}/services/T0/B0/hooksecret123?x=1`, '**drift**');
    expect(r.posts).toHaveLength(1);
    expect(r.posts[0]!.method).toBe('POST');
    expect(r.posts[0]!.url).toBe('/services/T0/B0/hooksecret123?x=1');
    expect(r.posts[0]!.type).toMatch(/application\/json/);
    expect(JSON.parse(r.posts[0]!.body)).toEqual({ text: '**drift**' });
  });

  it('retries a 503 and fails on a 403 without naming the webhook path', async () => {
    const flaky = await startReceiver((n) => (n === 1 ? 503 : 200));
    await postNotification(`${flaky.url}/hook/abcdef-secret`, 'x', { retry: { baseDelayMs: 1, maxDelayMs: 2 } });
    expect(flaky.posts).toHaveLength(2);

    const denied = await startReceiver(() => 403);
    const err = await postNotification(`${denied.url}/hook/zyxwvu-secret`, 'x').catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/webhook notify API post drift notification/);
    expect((err as Error).message).not.toContain('zyxwvu-secret');
    expect(redact(`see ${denied.url}/hook/zyxwvu-secret`)).not.toContain('zyxwvu-secret');
  });

  it('refuses a URL that is not http(s)', async () => {
    await expect(postNotification('ftp://example.com/x', 'x')).rejects.toThrow(/http\(s\) URL/);
    await expect(postNotification('not a url', 'x')).rejects.toThrow(/--notify needs/);
  });
});

describe('drift --notify', () => {
  it('refuses a URL that is not http(s) before reading any config or platform', async () => {
    const ctx = { output: memoryOutput(), exitCode: 0 };
    // The config does not exist: the URL check comes first.
    await expect(runDrift({ config: '/nonexistent/audiences.yaml', notify: 'hooks.slack.com/services/T/B/x' }, ctx)).rejects.toThrow(
      /--notify needs an http\(s\) URL/,
    );
    await expect(runDrift({ config: '/nonexistent/audiences.yaml', notify: 'ftp://example.com/x' }, ctx)).rejects.toThrow(/not ftp:/);
  });
});
