/**
 * Parses a replay orders file: JSON lines, one command each, in time order.
 *
 *   {"at":1723161300000,"account":"a1","symbol":"BTCUSDT","side":"BUY","type":"LIMIT",
 *    "quantity":"0.25","price":"61700.00","clientOrderId":"c1"}
 *   {"at":1723161310000,"account":"a1","cancel":"c1"}
 *
 * Structural problems (bad JSON, missing or mistyped fields, unknown symbol, time going backwards)
 * are errors naming the line. Exchange rules (tick, step, minimums, balance) are not checked here:
 * the engine rejects such orders with the exchange's codes, as the exchange would.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { CancelOrderInput, PlaceOrderInput, SetLeverageInput } from '../core/kernel/inputs.js';
import { ORDER_TYPES } from '../core/orders/order.js';

export type OrderCommand = PlaceOrderInput | CancelOrderInput | SetLeverageInput;

export class OrdersFileError extends Error {
  override readonly name = 'OrdersFileError';
}

const DECIMAL = /^\d+(\.\d+)?$/;
const KNOWN_FIELDS = new Set([
  'at', 'account', 'symbol', 'side', 'type', 'quantity', 'quoteOrderQty', 'price', 'clientOrderId', 'cancel', 'orderId',
  'stopPrice', 'activationPrice', 'callbackRate', 'reduceOnly', 'ocoGroup', 'leverage',
]);

export function readOrdersFile(path: string, symbols: readonly string[]): OrderCommand[] {
  return parseOrders(readOrdersText(path), symbols, path);
}

/** The orders file's text; OrdersFileError, naming `path`, when there is none there or it cannot be read (a directory, no permission). */
export function readOrdersText(path: string): string {
  if (!existsSync(path)) throw new OrdersFileError(`orders file not found: ${path}`);
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new OrdersFileError(`orders file ${path} cannot be read: ${code === 'EISDIR' ? 'it is a directory' : error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * The commands of an orders file's `text`; OrdersFileError naming the first line that is wrong.
 * `symbols`: the symbols a line may name; undefined accepts any (a check of everything else before
 * the recording that says which symbol it has is read).
 */
export function parseOrders(text: string, symbols: readonly string[] | undefined, name = 'orders'): OrderCommand[] {
  const commands: OrderCommand[] = [];
  let lastAt = -Infinity;
  text.split('\n').forEach((rawLine, index) => {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `${name} line ${index + 1}`;
    const fail = (why: string): never => {
      throw new OrdersFileError(`${where}: ${why}`);
    };
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      fail('not valid JSON');
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('expected a JSON object');
    const o = raw as Record<string, unknown>;
    for (const key of Object.keys(o)) if (!KNOWN_FIELDS.has(key)) fail(`unknown field "${key}"`);
    if (typeof o.at !== 'number' || !Number.isSafeInteger(o.at) || o.at < 0) fail('"at" must be exchange time in Unix milliseconds');
    const at = o.at as number;
    if (at < lastAt) fail(`time goes backwards: ${at} is before the previous line's ${lastAt}`);
    lastAt = at;
    if (typeof o.account !== 'string' || o.account === '') fail('"account" must be a non-empty string');
    const account = o.account as string;

    if (o.cancel !== undefined || o.orderId !== undefined) {
      if (o.cancel !== undefined && typeof o.cancel !== 'string') fail('"cancel" must be the clientOrderId to cancel');
      if (o.orderId !== undefined && typeof o.orderId !== 'string') fail('"orderId" must be a string');
      for (const key of ['symbol', 'side', 'type', 'quantity', 'price', 'quoteOrderQty']) {
        if (o[key] !== undefined) fail(`a cancel line takes no "${key}"`);
      }
      commands.push({
        kind: 'order.cancel',
        time: at,
        account,
        ...(o.cancel !== undefined ? { clientOrderId: o.cancel as string } : {}),
        ...(o.orderId !== undefined ? { orderId: o.orderId as string } : {}),
      });
      return;
    }

    if (typeof o.symbol !== 'string') fail('"symbol" is required');
    if (symbols !== undefined && !symbols.includes(o.symbol as string)) fail(`unknown symbol "${String(o.symbol)}" (this recording has ${symbols.join(', ')})`);
    if (o.leverage !== undefined) {
      if (typeof o.leverage !== 'number' || !Number.isSafeInteger(o.leverage) || o.leverage < 1) fail('"leverage" must be a whole number ≥ 1');
      for (const key of Object.keys(o)) if (!['at', 'account', 'symbol', 'leverage'].includes(key)) fail(`a leverage line takes no "${key}"`);
      commands.push({ kind: 'leverage.set', time: at, account, symbol: o.symbol as string, leverage: o.leverage as number });
      return;
    }
    if (o.side !== 'BUY' && o.side !== 'SELL') fail('"side" must be BUY or SELL');
    if (typeof o.type !== 'string' || !(ORDER_TYPES as readonly string[]).includes(o.type)) fail(`"type" must be one of ${ORDER_TYPES.join(', ')}`);
    for (const key of ['quantity', 'price', 'quoteOrderQty', 'stopPrice', 'activationPrice', 'callbackRate']) {
      if (o[key] !== undefined && (typeof o[key] !== 'string' || !DECIMAL.test(o[key] as string))) {
        fail(`"${key}" must be a decimal string such as "0.25"`);
      }
    }
    if (o.quantity === undefined && o.quoteOrderQty === undefined) fail('"quantity" (or "quoteOrderQty" for MARKET) is required');
    if (o.side === undefined) fail('"side" is required');
    if (o.clientOrderId !== undefined && (typeof o.clientOrderId !== 'string' || o.clientOrderId === '')) fail('"clientOrderId" must be a non-empty string');
    if (o.reduceOnly !== undefined && typeof o.reduceOnly !== 'boolean') fail('"reduceOnly" must be true or false');
    if (o.ocoGroup !== undefined && (typeof o.ocoGroup !== 'string' || o.ocoGroup === '')) fail('"ocoGroup" must be a non-empty string');
    commands.push({
      kind: 'order.place',
      time: at,
      account,
      symbol: o.symbol as string,
      side: o.side as PlaceOrderInput['side'],
      type: o.type as PlaceOrderInput['type'],
      ...(o.quantity !== undefined ? { quantity: o.quantity as string } : {}),
      ...(o.quoteOrderQty !== undefined ? { quoteOrderQty: o.quoteOrderQty as string } : {}),
      ...(o.price !== undefined ? { price: o.price as string } : {}),
      ...(o.clientOrderId !== undefined ? { clientOrderId: o.clientOrderId as string } : {}),
      ...(o.stopPrice !== undefined ? { stopPrice: o.stopPrice as string } : {}),
      ...(o.activationPrice !== undefined ? { activationPrice: o.activationPrice as string } : {}),
      ...(o.callbackRate !== undefined ? { callbackRate: o.callbackRate as string } : {}),
      ...(o.reduceOnly !== undefined ? { reduceOnly: o.reduceOnly as boolean } : {}),
      ...(o.ocoGroup !== undefined ? { ocoGroup: o.ocoGroup as string } : {}),
    });
  });
  return commands;
}

/**
 * Parses `USDT=100000,BTC=2` into `{ USDT: "100000", BTC: "2" }`. Throws `OrdersFileError` naming
 * what is wrong: the shape of a part, an amount that is negative or not a plain decimal, an asset twice.
 */
export function parseBalances(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(',')) {
    const match = /^\s*([A-Za-z0-9]+)\s*=\s*(\S*)\s*$/.exec(part);
    if (match === null) throw new OrdersFileError(`balances: expected ASSET=amount[,ASSET=amount…], got "${part.trim()}"`);
    const asset = match[1]!.toUpperCase();
    const amount = match[2]!;
    // A balance is 0 or more (the kernel's rule): `USDT=-5` is a bad amount, not a bad list.
    if (/^-\d+(\.\d+)?$/.test(amount)) throw new OrdersFileError(`balances: ${asset} amount must be 0 or more, got "${amount}"`);
    if (!DECIMAL.test(amount)) throw new OrdersFileError(`balances: ${asset} amount must be a decimal number such as 100 or 0.5, got "${amount}"`);
    // `USDT=100,USDT=200` is a typo, not a request for 200: the second would silently replace the first.
    if (Object.hasOwn(out, asset)) throw new OrdersFileError(`balances: ${asset} is given twice`);
    out[asset] = amount;
  }
  return out;
}
