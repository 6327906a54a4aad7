// Posts a drift summary to a Slack-compatible incoming webhook ({"text": …}) through the one HTTP layer.
import { HttpClient } from '../http/client.js';
import type { HttpClientOptions } from '../http/types.js';
import { UsageError } from '../model/errors.js';
import { redact, registerSecret } from '../model/secrets.js';

/** Slack rejects longer messages; the summary is cut with a note rather than refused. */
export const MAX_NOTIFY_CHARS = 39_000;

/**
 * Sends `text` to the webhook. The URL itself is a credential (Slack puts the token in the path),
 * so it is registered as a secret before any request can fail and name it.
 */
export async function postNotification(
  url: string,
  text: string,
  opts: Pick<HttpClientOptions, 'retry' | 'timeoutMs' | 'sleep'> = {},
): Promise<void> {
  const parsed = checkWebhookUrl(url);
  registerSecret(url);
  registerSecret(parsed.pathname + parsed.search);
  if (parsed.pathname.length > 1) registerSecret(parsed.pathname);
  for (const v of parsed.searchParams.values()) registerSecret(v);
  if (parsed.password) registerSecret(parsed.password);

  const client = new HttpClient({
    platform: 'webhook',
    api: 'notify',
    baseURL: parsed.origin,
    concurrency: 1,
    timeoutMs: opts.timeoutMs ?? 10_000,
    retry: { retries: 3, ...opts.retry },
    sleep: opts.sleep,
    // Slack answers 429 with Retry-After; a bare 429 from a webhook is a throttle, not a daily quota.
    quotaWithoutRetryAfter: false,
  });
  const body = { text: redact(truncate(text, MAX_NOTIFY_CHARS)) };
  await client.request({
    method: 'POST',
    path: parsed.pathname || '/',
    query: Object.fromEntries(parsed.searchParams.entries()),
    body,
    responseType: 'text',
    operation: 'post drift notification',
    // A duplicate notice is harmless; a lost one is not, so a timed-out post may be sent again.
    idempotent: true,
  });
}

/** Parses a --notify URL; a UsageError (never naming the URL) unless it is http(s). */
export function checkWebhookUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError('--notify needs an http(s) URL of a Slack-compatible incoming webhook', {
      hint: 'Pass the full incoming-webhook URL, e.g. --notify "$SLACK_WEBHOOK_URL".',
    });
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new UsageError(`--notify needs an http(s) URL, not ${parsed.protocol}`);
  }
  return parsed;
}

function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}\n\n…(cut: the full report is in the CI log)`;
}
