// The gateway's PaymentService for Node: generated messages, a client with the API key, CreatePayment retried.
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import {
  CreatePaymentRequestSchema,
  PaymentService,
  type CreatePaymentResponse,
} from "./gen/bakong/payments/v1/payment_service_pb.js";

export * from "./gen/bakong/payments/v1/payment_service_pb.js";
export * from "./gen/bakong/payments/v1/payment_pb.js";
export * from "./gen/bakong/payments/v1/money_pb.js";
export * from "./gen/bakong/payments/v1/qr_image_pb.js";
export * from "./gen/bakong/payments/v1/error_reason_pb.js";

export type PaymentClient = Client<typeof PaymentService>;

/** Sends the key from `bakong clients add` as `authorization: Bearer <key>` on every call. */
export function apiKey(key: string): Interceptor {
  if (!key.trim() || /[\r\n]/.test(key)) throw new Error("The API key is empty or contains a line break.");
  return (next) => (request) => {
    request.header.set("authorization", `Bearer ${key.trim()}`);
    return next(request);
  };
}

/**
 * A client of the gateway's Grpc endpoint (e.g. `http://127.0.0.1:5080`, HTTP/2). `key` may be left out only for a
 * Sandbox gateway on loopback.
 */
export function createPaymentClient(baseUrl: string, options: { key?: string } = {}): PaymentClient {
  const transport = createGrpcTransport({ baseUrl, interceptors: options.key ? [apiKey(options.key)] : [] });
  return createClient(PaymentService, transport);
}

export interface RetryOptions {
  /** Calls in all, the first included. */
  maxAttempts?: number;
  /** The wait before the second call, doubled before each next one up to `maxDelayMs`. */
  firstDelayMs?: number;
  maxDelayMs?: number;
  /** Each call's own deadline. */
  timeoutMs?: number;
  /** Waits `ms` (tests pass their own). */
  sleep?: (ms: number) => Promise<void>;
}

/** The outcome is unknown or the gateway asked to call again: nothing was decided about this request. */
const transient = new Set([Code.Unavailable, Code.DeadlineExceeded, Code.ResourceExhausted, Code.Aborted]);

/**
 * CreatePayment is idempotent by `request_id`: the same request again returns the same payment, never a second QR.
 * So a call whose outcome is unknown is sent again, unchanged; errors that are answers are thrown at once.
 */
export async function createPaymentWithRetry(
  client: Pick<PaymentClient, "createPayment">,
  request: MessageInitShape<typeof CreatePaymentRequestSchema>,
  options: RetryOptions = {},
): Promise<CreatePaymentResponse> {
  const message = create(CreatePaymentRequestSchema, request);
  if (!message.requestId) throw new Error("Set requestId: it is what makes a retried CreatePayment safe.");
  const { maxAttempts = 4, firstDelayMs = 250, maxDelayMs = 4000, timeoutMs = 10000 } = options;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let delay = firstDelayMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.createPayment(message, { timeoutMs });
    } catch (e) {
      const error = ConnectError.from(e);
      if (attempt >= maxAttempts || !transient.has(error.code)) throw error;
      await sleep(delay);
      delay = Math.min(delay * 2, maxDelayMs);
    }
  }
}
