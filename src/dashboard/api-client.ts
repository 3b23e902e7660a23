/** The dashboard's only door to the service: the native REST API with `Authorization: Bearer`. */

export interface ApiErrorBody {
  readonly code: string;
  readonly message: string;
  readonly mexcCode?: number;
  readonly missing?: readonly string[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody,
  ) {
    super(body.message);
  }
}

export type Balances = Record<string, { free: string; locked: string }>;

export interface AccountView {
  readonly id: string;
  readonly name: string;
  readonly type: 'spot' | 'futures';
  readonly mode: 'paper' | 'live';
  readonly halted: boolean;
  /** Null while it cannot be valued: see `awaitingPrice`. */
  readonly equity: string | null;
  /** Present while the equity waits for a price: the holdings that have none yet (`BTC`, or a futures symbol). */
  readonly awaitingPrice?: readonly string[];
  readonly marginUsed?: string;
  readonly availableMargin?: string;
  readonly balances: Balances;
}

export interface AdminAccount {
  readonly id: string;
  readonly name: string;
  readonly type: 'spot' | 'futures';
  readonly apiKey: string;
  readonly halted: boolean;
}

export interface Order {
  readonly orderId: string;
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: string;
  readonly type: string;
  readonly status: string;
  readonly price?: string | null;
  readonly stopPrice?: string | null;
  readonly quantity: string;
  readonly executedQty: string;
  readonly createdAt: number;
  /** The order list (OCO pair, bracket) the order belongs to. */
  readonly ocoGroup?: string;
  /** A bracket entry: the exits its fills place. */
  readonly takeProfit?: { readonly stopPrice: string; readonly price?: string };
  readonly stopLoss?: { readonly stopPrice: string; readonly price?: string };
}

/** An order list as `GET` and `DELETE /api/orders/oco/:group` answer it. */
export interface OrderGroup {
  readonly ocoGroup: string;
  readonly contingencyType: 'OCO' | 'BRACKET';
  readonly listOrderStatus: 'EXECUTING' | 'ALL_DONE';
  readonly orders: readonly Order[];
}

export interface Trade {
  readonly id: string;
  readonly orderId: string;
  readonly symbol: string;
  /** Position effect (futures): OPEN, CLOSE, PARTIAL_CLOSE; null for spot. */
  readonly side: string | null;
  readonly orderSide: 'BUY' | 'SELL';
  readonly size: string;
  readonly price: string;
  readonly quoteQty: string;
  readonly fee: string;
  readonly feeAsset: string;
  readonly liquidity: string;
  readonly pnl: string | null;
  readonly timestamp: number;
}

/** A fill with the PnL it realized (`GET /api/account/fills`: average price, fees left out). */
export interface Fill extends Trade {
  readonly realizedPnl: string | null;
}

export interface Candle {
  readonly openTime: number;
  readonly open: string;
  readonly high: string;
  readonly low: string;
  readonly close: string;
  readonly volume: string;
  readonly trades: number;
}

export interface SymbolLeverage {
  readonly symbol: string;
  readonly leverage: number;
  readonly maxLeverage?: number;
}

export interface Position {
  readonly symbol: string;
  readonly positionId: string;
  readonly direction: 'LONG' | 'SHORT' | 'FLAT';
  readonly totalSize: string;
  readonly entryPrice: string;
  readonly currentPrice?: string;
  readonly unrealizedPnl?: string;
  readonly leverage: number;
  readonly marginUsed: string;
  /** Null where the position cannot be liquidated (1× long, or margin enough). */
  readonly liquidationPrice: string | null;
  readonly realizedPnl: string;
}

export interface Instrument {
  readonly symbol: string;
  readonly market: 'spot' | 'perpetual';
  readonly base: string;
  readonly quote: string;
  readonly tickSize: string;
  readonly stepSize: string;
  readonly minQty: string;
  readonly maxQty: string;
  readonly minNotional: string;
  readonly maxLeverage?: number;
}

export interface FeedStatus {
  readonly symbol: string;
  readonly source: 'replay' | 'live';
  readonly status: 'synced' | 'awaiting-snapshot' | 'resync-needed' | 'stale';
  readonly lastEventAt?: number;
  readonly reason?: string;
  readonly exchange?: string;
  readonly counters?: Readonly<Record<string, number>>;
}

export interface ModeView {
  readonly mode: 'paper' | 'live';
  readonly liveRefusedBecause: readonly string[];
}

export type Level = readonly [string, string];
export interface Depth {
  readonly bids: readonly Level[];
  readonly asks: readonly Level[];
}

export interface EquityPoint {
  readonly at: number;
  readonly equity: string;
}

/** `GET /api/accounts`: a page of the accounts from `offset`, and how many there are in all. */
export interface AccountsPage {
  readonly items: readonly AdminAccount[];
  readonly total: number;
  readonly offset: number;
  readonly nextOffset: number | null;
}

/** The most accounts `GET /api/accounts` answers at once. */
export const ACCOUNTS_PAGE = 500;

interface Page<T> {
  readonly items: T[];
  readonly nextOffset: number | null;
}

export class Api {
  /** `onKeyRefused`: called with this key when the server answers 401 to it (the account was deleted, its key changed). */
  constructor(
    private readonly key: string | undefined,
    private readonly onKeyRefused?: (key: string | undefined) => void,
  ) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (this.key !== undefined) headers.authorization = `Bearer ${this.key}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    const data = text === '' ? undefined : (JSON.parse(text) as unknown);
    if (!res.ok) {
      if (res.status === 401) this.onKeyRefused?.(this.key);
      const err = (data ?? {}) as Partial<ApiErrorBody>;
      throw new ApiError(res.status, { code: err.code ?? `HTTP_${res.status}`, message: err.message ?? res.statusText, ...(err.mexcCode !== undefined ? { mexcCode: err.mexcCode } : {}), ...(err.missing !== undefined ? { missing: err.missing } : {}) });
    }
    return data as T;
  }

  mode = () => this.request<ModeView>('GET', '/api/mode');
  askMode = (mode: 'live' | 'paper') => this.request<{ mode: string }>('POST', '/api/mode', { mode });
  instruments = async () => (await this.request<{ items: Instrument[] }>('GET', '/api/market/instruments')).items;
  feeds = async () => (await this.request<{ items: FeedStatus[] }>('GET', '/api/market/feeds')).items;
  depth = (symbol: string) => this.request<Depth>('GET', `/api/market/depth/${encodeURIComponent(symbol)}?limit=20`);
  account = () => this.request<AccountView>('GET', '/api/account');
  /** One page of the accounts (admin key), oldest first: `limit` at most ACCOUNTS_PAGE, the API's largest. */
  accounts = (offset = 0, limit = ACCOUNTS_PAGE) => this.request<AccountsPage>('GET', `/api/accounts?limit=${limit}&offset=${offset}`);
  /** One account (admin key) as the list gives it; undefined once deleted. */
  adminAccount = async (id: string) => (await this.request<AccountsPage>('GET', `/api/accounts?id=${encodeURIComponent(id)}`)).items[0];
  positions = async () => (await this.request<{ items: Position[] }>('GET', '/api/account/positions')).items;
  openOrders = async () => (await this.request<{ items: Order[] }>('GET', '/api/orders/open')).items;
  trades = async () => (await this.request<Page<Trade>>('GET', '/api/trades?limit=100')).items;
  fills = async (symbol?: string, limit = 100) => (await this.request<Page<Fill>>('GET', `/api/account/fills?limit=${limit}${symbol !== undefined ? `&symbol=${encodeURIComponent(symbol)}` : ''}`)).items;
  leverages = async () => (await this.request<{ items: SymbolLeverage[] }>('GET', '/api/account/leverage')).items;
  candles = async (symbol: string, interval: string, limit = 500) => (await this.request<{ items: Candle[] }>('GET', `/api/market/candles/${encodeURIComponent(symbol)}?interval=${interval}&limit=${limit}`)).items;
  closePosition = (symbol: string) => this.request<unknown>('POST', `/api/positions/${encodeURIComponent(symbol)}/close`);
  metrics = async () => (await this.request<{ metrics: Record<string, unknown> | null }>('GET', '/api/account/metrics')).metrics;
  cancel = (orderId: string) => this.request<Order>('DELETE', `/api/orders/${encodeURIComponent(orderId)}`);
  cancelGroup = (group: string) => this.request<OrderGroup>('DELETE', `/api/orders/oco/${encodeURIComponent(group)}`);
  place = (order: Record<string, unknown>) => this.request<Order>('POST', '/api/orders', order);
  leverage = (symbol: string, leverage: number) => this.request<SymbolLeverage>('POST', '/api/account/leverage', { symbol, leverage });

  /** Saves a file the API sends (a CSV export): fetched with the key, which a plain link could not send. */
  async download(path: string, fallbackName: string): Promise<void> {
    const res = await fetch(path, { headers: this.key !== undefined ? { authorization: `Bearer ${this.key}` } : {} });
    if (!res.ok) throw new ApiError(res.status, { code: `HTTP_${res.status}`, message: res.statusText });
    const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? fallbackName;
    const url = URL.createObjectURL(await res.blob());
    Object.assign(document.createElement('a'), { href: url, download: name }).click();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }

  /** The whole equity curve, page by page (at most 20 pages of 500 points). */
  async equity(): Promise<EquityPoint[]> {
    const out: EquityPoint[] = [];
    let offset: number | null = 0;
    for (let i = 0; i < 20 && offset !== null; i += 1) {
      const page: Page<EquityPoint> = await this.request<Page<EquityPoint>>('GET', `/api/account/equity?limit=500&offset=${offset}`);
      out.push(...page.items);
      offset = page.nextOffset;
    }
    return out;
  }
}
