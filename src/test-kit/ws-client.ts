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

export { until } from './wait.js';
