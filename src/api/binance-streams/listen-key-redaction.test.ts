/** A listenKey opens an account's user data stream: request logs never carry one, in the path or the query. */
import { describe, expect, it } from 'vitest';
import { redactUrl } from '../log-redaction.js';

describe('request logs and listen keys', () => {
  it('redact a listenKey in a stream path and in the query, and keep market stream names', () => {
    expect(redactUrl('/binance/ws/Ab3Xk9')).toBe('/binance/ws/[redacted]');
    expect(redactUrl('/binance/fws/Ab3Xk9?x=1')).toBe('/binance/fws/[redacted]?x=1');
    expect(redactUrl('/binance/fws?listenKey=Ab3Xk9')).toBe('/binance/fws?listenKey=[redacted]');
    expect(redactUrl('/mexc/ws?listenKey=Ab3Xk9')).toBe('/mexc/ws?listenKey=[redacted]');
    expect(redactUrl('/binance/ws/btcusdt@depth@100ms')).toBe('/binance/ws/btcusdt@depth@100ms');
    expect(redactUrl('/binance/stream?streams=btcusdt@trade/btcusdt@bookTicker')).toBe('/binance/stream?streams=btcusdt@trade/btcusdt@bookTicker');
    expect(redactUrl('/binance/ws-api/v3')).toBe('/binance/ws-api/v3');
  });
});
