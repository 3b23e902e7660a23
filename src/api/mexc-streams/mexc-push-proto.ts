/**
 * MEXC Spot v3 WebSocket push messages in protobuf, from MEXC's published definitions
 * (https://github.com/mexcdevelop/websocket-proto: PushDataV3ApiWrapper.proto and the body
 * messages it names), with the field numbers MEXC uses. Only the bodies papertrade serves are
 * declared; the wrapper's `oneof body` keeps MEXC's numbers, so a client compiled from MEXC's full
 * definitions (ccxt's among them) decodes every frame.
 *
 * Guarantees: `encodePush` writes one `PushDataV3ApiWrapper` as MEXC sends it in a binary frame;
 * string fields carry decimals as text, int64 fields Unix ms. Throws if a message does not fit its
 * definition (a bug here, never a client's doing).
 */
import protobuf from 'protobufjs';

const PROTO = `
syntax = "proto3";

message PublicAggreDepthV3ApiItem { string price = 1; string quantity = 2; }
message PublicAggreDepthsV3Api {
  repeated PublicAggreDepthV3ApiItem asks = 1;
  repeated PublicAggreDepthV3ApiItem bids = 2;
  string eventType = 3;
  string fromVersion = 4;
  string toVersion = 5;
}

message PublicAggreDealsV3ApiItem { string price = 1; string quantity = 2; int32 tradeType = 3; int64 time = 4; }
message PublicAggreDealsV3Api { repeated PublicAggreDealsV3ApiItem deals = 1; string eventType = 2; }

message PublicAggreBookTickerV3Api { string bidPrice = 1; string bidQuantity = 2; string askPrice = 3; string askQuantity = 4; string version = 5; }

message PrivateOrdersV3Api {
  string id = 1;
  string clientId = 2;
  string price = 3;
  string quantity = 4;
  string amount = 5;
  string avgPrice = 6;
  int32 orderType = 7;
  int32 tradeType = 8;
  bool isMaker = 9;
  string remainAmount = 10;
  string remainQuantity = 11;
  optional string lastDealQuantity = 12;
  string cumulativeQuantity = 13;
  string cumulativeAmount = 14;
  int32 status = 15;
  int64 createTime = 16;
  optional string market = 17;
  optional int32 triggerType = 18;
  optional string triggerPrice = 19;
  optional int32 state = 20;
  optional string ocoId = 21;
}

message PrivateDealsV3Api {
  string price = 1;
  string quantity = 2;
  string amount = 3;
  int32 tradeType = 4;
  bool isMaker = 5;
  bool isSelfTrade = 6;
  string tradeId = 7;
  string clientOrderId = 8;
  string orderId = 9;
  string feeAmount = 10;
  string feeCurrency = 11;
  int64 time = 12;
}

message PrivateAccountV3Api {
  string vcoinName = 1;
  string coinId = 2;
  string balanceAmount = 3;
  string balanceAmountChange = 4;
  string frozenAmount = 5;
  string frozenAmountChange = 6;
  string type = 7;
  int64 time = 8;
}

message PushDataV3ApiWrapper {
  string channel = 1;
  oneof body {
    PrivateOrdersV3Api privateOrders = 304;
    PrivateDealsV3Api privateDeals = 306;
    PrivateAccountV3Api privateAccount = 307;
    PublicAggreDepthsV3Api publicAggreDepths = 313;
    PublicAggreDealsV3Api publicAggreDeals = 314;
    PublicAggreBookTickerV3Api publicAggreBookTicker = 315;
  }
  optional string symbol = 3;
  optional string symbolId = 4;
  optional int64 createTime = 5;
  optional int64 sendTime = 6;
}
`;

export interface DepthItem {
  readonly price: string;
  readonly quantity: string;
}

export interface PrivateOrderBody {
  readonly id: string;
  readonly clientId: string;
  readonly price: string;
  readonly quantity: string;
  readonly amount: string;
  readonly avgPrice: string;
  readonly orderType: number;
  readonly tradeType: number;
  readonly isMaker: boolean;
  readonly remainAmount: string;
  readonly remainQuantity: string;
  readonly lastDealQuantity?: string;
  readonly cumulativeQuantity: string;
  readonly cumulativeAmount: string;
  readonly status: number;
  readonly createTime: number;
}

export interface PrivateDealBody {
  readonly price: string;
  readonly quantity: string;
  readonly amount: string;
  readonly tradeType: number;
  readonly isMaker: boolean;
  readonly isSelfTrade: boolean;
  readonly tradeId: string;
  readonly clientOrderId: string;
  readonly orderId: string;
  readonly feeAmount: string;
  readonly feeCurrency: string;
  readonly time: number;
}

export interface PrivateAccountBody {
  readonly vcoinName: string;
  readonly coinId: string;
  readonly balanceAmount: string;
  readonly balanceAmountChange: string;
  readonly frozenAmount: string;
  readonly frozenAmountChange: string;
  readonly type: string;
  readonly time: number;
}

/** One push: the channel it answers, the symbol, the send time, and exactly one body. */
export type PushBody =
  | { readonly publicAggreDepths: { asks: DepthItem[]; bids: DepthItem[]; eventType: string; fromVersion: string; toVersion: string } }
  | { readonly publicAggreDeals: { deals: { price: string; quantity: string; tradeType: number; time: number }[]; eventType: string } }
  | { readonly publicAggreBookTicker: { bidPrice: string; bidQuantity: string; askPrice: string; askQuantity: string; version: string } }
  | { readonly privateOrders: PrivateOrderBody }
  | { readonly privateDeals: PrivateDealBody }
  | { readonly privateAccount: PrivateAccountBody };

export type PushMessage = { readonly channel: string; readonly symbol?: string; readonly sendTime: number; readonly createTime?: number } & PushBody;

const Wrapper = protobuf.parse(PROTO, { keepCase: true }).root.lookupType('PushDataV3ApiWrapper');

/** The binary frame MEXC sends for `message`. */
export function encodePush(message: PushMessage): Uint8Array {
  return Wrapper.encode(Wrapper.fromObject(message)).finish();
}
