// The contract between the sandbox server (routing, faults, persistence) and each platform emulator.
import type { IncomingHttpHeaders } from 'node:http';

/** One emulated host, mounted under a path prefix of the one loopback server. */
export type HostName = 'cio-app' | 'cio-track' | 'target-admin' | 'target-ims' | 'target-edge';

/** Path prefix of each emulated host on the sandbox server, e.g. http://127.0.0.1:4010/cio/app/v1/segments. */
export const HOST_PREFIX: Record<HostName, string> = {
  'cio-app': '/cio/app',
  'cio-track': '/cio/track',
  'target-admin': '/target/admin',
  'target-ims': '/target/ims',
  'target-edge': '/target/edge',
};

export interface SandboxRequest {
  host: HostName;
  method: string;
  /** Path below the host prefix, e.g. /v1/segments/42 (no query string). */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Base URL of this host as the client sees it (for absolute links such as batchStatus URLs). */
  baseUrl: string;
}

export interface SandboxResponse {
  status: number;
  headers?: Record<string, string>;
  /** Objects are sent as JSON (application/json unless headers say otherwise); strings and Buffers as-is. */
  body?: unknown;
}

export interface Emulator {
  /** Hosts this emulator serves. */
  readonly hosts: HostName[];
  /** Answers a request, or undefined when no route matches (the server then answers 404). */
  handle(req: SandboxRequest): Promise<SandboxResponse | undefined> | SandboxResponse | undefined;
}
