/**
 * A WebSocket client for stream tests: every frame parsed as JSON, in arrival order, and the
 * test kit's wait for a condition (wait.ts).
 */
import WebSocket from 'ws';
import { within } from './wait.js';

export type Frame = Record<string, unknown>;

/** Opens `url`; resolves once open, with the frames received so far (kept up to date) and the close code to come. */
export async function connect(url: string): Promise<{ ws: WebSocket; frames: Frame[]; closed: Promise<number> }> {
  const ws = new WebSocket(url);
  const frames: Frame[] = [];
  ws.on('message', (data: Buffer) => frames.push(JSON.parse(data.toString()) as Frame));
  const closed = new Promise<number>((resolve) => ws.on('close', (code: number) => resolve(code)));
  await within(
    new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    }),
    `the WebSocket ${url} to open`,
  );
  return { ws, frames, closed };
}

/**
 * Tries to open `url` with `options` (`localAddress`, `headers`); resolves with the socket once
 * open, or with the refusal's HTTP status and its JSON body. Other errors reject.
 */
export function attemptUpgrade(url: string, options: WebSocket.ClientOptions = {}): Promise<{ ws: WebSocket } | { status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    ws.once('open', () => resolve({ ws }));
    ws.once('unexpected-response', (_request, response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as unknown }));
    });
    ws.once('error', (error) => {
      if (!/Unexpected server response/.test(error.message)) reject(error);
    });
  });
}

export { until } from './wait.js';
