/**
 * The order form: every order type the API takes, leverage and reduce-only for futures, inline
 * pre-checks against the instrument (order-checks.ts) and the server's rejection as it comes.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, type Api, type Instrument } from '../api-client.js';
import { apiDecimal, fmt, fmtQty } from '../decimal.js';
import { checkOrder, needsPrice, needsStop, ORDER_KINDS, type FieldErrors, type OrderKind } from '../order-checks.js';

export interface OrderFormProps {
  readonly api: Api;
  readonly instrument: Instrument;
  readonly futures: boolean;
  /** The account's leverage on this symbol, as the server reports it (futures). */
  readonly leverage: number | undefined;
  onLeverageSet(): void;
  readonly bestBid: string | undefined;
  readonly bestAsk: string | undefined;
  readonly pickedPrice: { price: string; n: number } | undefined;
  readonly free: { base: string; quote: string };
  readonly disabled: boolean;
}

type Outcome = { kind: 'ok'; text: string } | { kind: 'rejected'; code: string; mexcCode?: number; message: string };

export function OrderForm(props: OrderFormProps) {
  const { instrument } = props;
  const [side, setSide] = useState<'BUY' | 'SELL'>('BUY');
  const [kind, setKind] = useState<OrderKind>('LIMIT');
  const [price, setPrice] = useState('');
  const [stopPrice, setStopPrice] = useState('');
  const [quantity, setQuantity] = useState('');
  const [reduceOnly, setReduceOnly] = useState(false);
  const [leverage, setLeverage] = useState(props.leverage !== undefined ? String(props.leverage) : '');
  const [leverageNote, setLeverageNote] = useState<string>();
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>();

  useEffect(() => {
    if (props.pickedPrice !== undefined) setPrice(props.pickedPrice.price);
  }, [props.pickedPrice]);

  // What the server says wins: on load, after a change, and when the symbol changes.
  useEffect(() => {
    setLeverage(props.leverage !== undefined ? String(props.leverage) : '');
  }, [props.leverage, instrument.symbol]);

  const reference = side === 'BUY' ? props.bestAsk : props.bestBid;
  const draft = { kind, side, quantity, price, stopPrice };

  const submit = async (e: Event) => {
    e.preventDefault();
    const found = checkOrder(draft, instrument, reference);
    setErrors(found);
    setOutcome(undefined);
    if (Object.keys(found).length > 0) return;
    const body: Record<string, unknown> = { symbol: instrument.symbol, side, type: kind, quantity: apiDecimal(quantity) };
    if (needsPrice(kind)) body.price = apiDecimal(price);
    if (needsStop(kind)) body.stopPrice = apiDecimal(stopPrice);
    if (props.futures && reduceOnly) body.reduceOnly = true;
    setBusy(true);
    try {
      const order = await props.api.place(body);
      const label = ORDER_KINDS.find((k) => k.value === kind)?.label ?? kind;
      setOutcome({ kind: 'ok', text: `${label} ${side === 'BUY' ? 'buy' : 'sell'} ${fmtQty(order.quantity)} ${instrument.base}${order.price ? ` @ ${order.price}` : ''}: ${order.status}` });
    } catch (err) {
      if (err instanceof ApiError) setOutcome({ kind: 'rejected', code: err.body.code, ...(err.body.mexcCode !== undefined ? { mexcCode: err.body.mexcCode } : {}), message: err.body.message });
      else setOutcome({ kind: 'rejected', code: 'NETWORK', message: String(err) });
    } finally {
      setBusy(false);
    }
  };

  const applyLeverage = async () => {
    setLeverageNote(undefined);
    try {
      const set = await props.api.leverage(instrument.symbol, Number(leverage));
      setLeverageNote(`Leverage set to ${set.leverage}×`);
      props.onLeverageSet();
    } catch (err) {
      setLeverageNote(err instanceof ApiError ? `${err.body.code}: ${err.body.message}` : String(err));
    }
  };

  const estPrice = needsPrice(kind) ? price : needsStop(kind) ? stopPrice : reference;
  const est = Number(quantity) * Number(estPrice);
  const field = (name: keyof FieldErrors) => (errors[name] !== undefined ? <p class="field-error" role="alert" data-testid={`error-${name}`}>{errors[name]}</p> : null);

  return (
    <section class="panel order-form" aria-label="Place an order">
      <header class="panel-head">
        <h2>Place order</h2>
        <span class="dim small">{instrument.symbol}</span>
      </header>
      <form onSubmit={submit} noValidate data-testid="order-form">
        <div class="side-toggle" role="radiogroup" aria-label="Side">
          <button type="button" role="radio" aria-checked={side === 'BUY'} class={`buy ${side === 'BUY' ? 'on' : ''}`} onClick={() => setSide('BUY')}>Buy</button>
          <button type="button" role="radio" aria-checked={side === 'SELL'} class={`sell ${side === 'SELL' ? 'on' : ''}`} onClick={() => setSide('SELL')}>Sell</button>
        </div>
        <label class="field">
          <span>Order type</span>
          <select name="type" value={kind} onChange={(e) => { setKind((e.target as HTMLSelectElement).value as OrderKind); setErrors({}); }}>
            {ORDER_KINDS.map((k) => <option value={k.value} key={k.value}>{k.label}</option>)}
          </select>
        </label>
        {needsStop(kind) && (
          <label class="field">
            <span>Trigger price <em>{instrument.quote}</em></span>
            <input name="stopPrice" inputMode="decimal" autoComplete="off" value={stopPrice} aria-invalid={errors.stopPrice !== undefined} onInput={(e) => setStopPrice((e.target as HTMLInputElement).value)} placeholder={`tick ${instrument.tickSize}`} />
            {field('stopPrice')}
          </label>
        )}
        {needsPrice(kind) && (
          <label class="field">
            <span>Limit price <em>{instrument.quote}</em></span>
            <input name="price" inputMode="decimal" autoComplete="off" value={price} aria-invalid={errors.price !== undefined} onInput={(e) => setPrice((e.target as HTMLInputElement).value)} placeholder={`tick ${instrument.tickSize}`} />
            {field('price')}
          </label>
        )}
        <label class="field">
          <span>Quantity <em>{instrument.base}</em></span>
          <input name="quantity" inputMode="decimal" autoComplete="off" value={quantity} aria-invalid={errors.quantity !== undefined} onInput={(e) => setQuantity((e.target as HTMLInputElement).value)} placeholder={`step ${instrument.stepSize}, min ${instrument.minQty}`} />
          {field('quantity')}
        </label>
        {props.futures && (
          <div class="futures-row">
            <label class="field lev">
              <span>Leverage <em data-testid="leverage-server">{props.leverage !== undefined ? `now ${props.leverage}×` : ''}</em></span>
              <div class="inline">
                <input name="leverage" type="number" min={1} max={instrument.maxLeverage ?? 125} value={leverage} placeholder="…" data-testid="leverage-input" onInput={(e) => setLeverage((e.target as HTMLInputElement).value)} />
                <button type="button" class="ghost" onClick={applyLeverage}>Set</button>
              </div>
              {leverageNote !== undefined && <p class="small dim">{leverageNote}</p>}
            </label>
            <label class="check">
              <input type="checkbox" checked={reduceOnly} onChange={(e) => setReduceOnly((e.target as HTMLInputElement).checked)} /> Reduce-only
            </label>
          </div>
        )}
        <dl class="est">
          <div><dt>Order value</dt><dd class="num">{Number.isFinite(est) && est > 0 ? `${fmt(est)} ${instrument.quote}` : '—'}</dd></div>
          <div><dt>Available</dt><dd class="num">{side === 'BUY' ? `${fmt(props.free.quote)} ${instrument.quote}` : `${fmtQty(props.free.base)} ${instrument.base}`}</dd></div>
          <div><dt>Min. value</dt><dd class="num">{instrument.minNotional} {instrument.quote}</dd></div>
        </dl>
        {field('form')}
        <button type="submit" class={`submit ${side === 'BUY' ? 'buy' : 'sell'}`} disabled={busy || props.disabled} data-testid="submit-order">
          {busy ? 'Sending…' : `${side === 'BUY' ? 'Buy' : 'Sell'} ${instrument.base}`}
        </button>
        {outcome?.kind === 'ok' && <p class="notice ok" role="status" data-testid="order-result">Accepted — {outcome.text}</p>}
        {outcome?.kind === 'rejected' && (
          <div class="notice bad" role="alert" data-testid="order-rejection">
            <strong>Rejected by the exchange: {outcome.code}{outcome.mexcCode !== undefined ? ` (${outcome.mexcCode})` : ''}</strong>
            <span>{outcome.message}</span>
          </div>
        )}
      </form>
    </section>
  );
}
