/**
 * A WebSocket client for stream tests: every frame parsed as JSON, in arrival order, and a wait
 * that polls a condition.
 */
import WebSocket from 'ws';

export type Frame = Record<string, unknown>;

/** Opens `url`; resolves once open, with the frames received so far (kept up to date) and the close code to come. */
export async function connect(url: string): Promise<{ ws: WebSocket; frames: Frame[]; closed: Promise<number> }> {
  const ws = new WebSocket(url);
  const frames: Frame[] = [];
  ws.on('message', (data: Buffer) => frames.push(JSON.parse(data.toString()) as Frame));
  const closed = new Promise<number>((resolve) => ws.on('close', (code: number) => resolve(code)));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return { ws, frames, closed };
}

/** Polls `check` every 20 ms; throws naming `what` when it has not held within `ms`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, ms = 8_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}
