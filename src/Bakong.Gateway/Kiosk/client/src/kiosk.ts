// The kiosk page: enter an amount, CreatePayment over gRPC-Web, show the KHQR card (GET /payments/{id}/qr.svg),
// count down to expiry, follow the payment with WatchPayment (resuming by version when the stream drops), then show
// the outcome and go back to the start. Query string: terminal, currency, amount, expires (seconds), result (seconds).
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { PaymentService } from "./gen/bakong/payments/v1/payment_service_pb";
import { type Payment, Payment_State } from "./gen/bakong/payments/v1/payment_pb";

const params = new URLSearchParams(location.search);
const terminalId = params.get("terminal") || "KIOSK-1";
const presetAmount = params.get("amount") ?? "";
const presetCurrency = (params.get("currency") ?? "").toUpperCase();
const expiresSeconds = boundedInt(params.get("expires"), 10, 600); // the gateway's bounds for expires_in
const resultSeconds = boundedInt(params.get("result"), 1, 600) ?? 8;

const client = createClient(PaymentService, createGrpcWebTransport({ baseUrl: location.origin }));

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const app = $("app");
const form = $<HTMLFormElement>("amount-form");
const amountInput = $<HTMLInputElement>("amount");
const formError = $("form-error");
const createButton = $<HTMLButtonElement>("create");
const card = $<HTMLImageElement>("qr-card");
const countdown = $("countdown");
const watchStatus = $("watch-status");
const cancelButton = $<HTMLButtonElement>("cancel");
const result = $("result");

type Screen = "start" | "qr" | "result";

/** One payment on screen; `done` stops its watch, countdown and timers. */
interface Session {
  payment: Payment;
  version: bigint;
  resumes: number;
  done: boolean;
  abort: AbortController;
  timer?: number;
}

let session: Session | undefined;
let backToStart: number | undefined;

$("terminal").textContent = terminalId;
if (presetCurrency === "USD" || presetCurrency === "KHR") {
  (document.querySelector(`input[name=currency][value=${presetCurrency}]`) as HTMLInputElement).checked = true;
}
reset();

form.addEventListener("submit", (e) => {
  e.preventDefault();
  void create();
});
document.querySelectorAll<HTMLButtonElement>(".keypad button").forEach((b) =>
  b.addEventListener("click", () => {
    const key = b.dataset.key!;
    amountInput.value = key === "back" ? amountInput.value.slice(0, -1) : amountInput.value + key;
    formError.textContent = "";
  }),
);
cancelButton.addEventListener("click", () => void cancel());
$("again").addEventListener("click", reset);

function show(screen: Screen) {
  app.dataset.screen = screen;
  for (const s of ["start", "qr", "result"] as const) {
    $(s).hidden = s !== screen;
  }
}

function reset() {
  window.clearTimeout(backToStart);
  stop();
  session = undefined;
  amountInput.value = presetAmount;
  formError.textContent = "";
  createButton.disabled = false;
  show("start");
  amountInput.focus();
}

function stop() {
  if (session) {
    session.done = true;
    session.abort.abort();
    window.clearInterval(session.timer);
  }
}

async function create() {
  const currency = (document.querySelector("input[name=currency]:checked") as HTMLInputElement).value;
  const amount = parseAmount(amountInput.value.trim(), currency);
  if (typeof amount === "string") {
    formError.textContent = amount;
    amountInput.focus();
    return;
  }

  createButton.disabled = true;
  formError.textContent = "";
  const request = {
    requestId: newRequestId(),
    terminalId,
    amount: { currencyCode: currency, units: amount.units, nanos: amount.nanos },
    expiresIn: expiresSeconds ? { seconds: BigInt(expiresSeconds), nanos: 0 } : undefined,
  };
  // The same request_id on every try: a retry after a dropped connection returns the same payment, never a second QR.
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await client.createPayment(request);
      start(response.payment!);
      return;
    } catch (e) {
      const error = ConnectError.from(e);
      if (attempt >= 3 || (error.code !== Code.Unavailable && error.code !== Code.Unknown)) {
        formError.textContent = "Could not create the payment: " + error.rawMessage;
        createButton.disabled = false;
        return;
      }

      await sleep(500 * attempt);
    }
  }
}

function start(payment: Payment) {
  const s: Session = { payment, version: 0n, resumes: 0, done: false, abort: new AbortController() };
  session = s;
  const amount = formatMoney(payment);
  card.src = `/payments/${encodeURIComponent(payment.paymentId)}/qr.svg?style=card&size=800`;
  card.alt = `KHQR code: scan with your bank app to pay ${amount}`;
  watchStatus.textContent = "Waiting for payment…";
  cancelButton.disabled = false;
  app.dataset.paymentId = payment.paymentId;
  show("qr");

  // The countdown runs on this page's monotonic clock from the payment's own lifetime, so a kiosk whose wall clock
  // is wrong still counts down correctly.
  const lifetime = timestampMs(payment.expireTime!) - timestampMs(payment.createTime!);
  const deadline = performance.now() + lifetime;
  const tick = () => {
    const left = Math.max(0, Math.ceil((deadline - performance.now()) / 1000));
    countdown.textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
    countdown.classList.toggle("low", left <= 30);
    if (left === 0 && !s.done) {
      watchStatus.textContent = "Time is up: checking with the bank…";
    }
  };
  tick();
  s.timer = window.setInterval(tick, 250);
  seen(s, payment);
  void watch(s);
}

/** Follows the payment until a terminal state; on a dropped stream, resumes with after_version = the last version seen. */
async function watch(s: Session) {
  let delay = 250;
  while (!s.done) {
    try {
      for await (const message of client.watchPayment(
        { paymentId: s.payment.paymentId, afterVersion: s.version },
        { signal: s.abort.signal },
      )) {
        seen(s, message.payment!);
        delay = 250;
        if (s.done) {
          return;
        }
      }
    } catch (e) {
      if (s.done) {
        return;
      }

      const error = ConnectError.from(e);
      if (error.code === Code.NotFound || error.code === Code.InvalidArgument) {
        finish(s, "ERROR", "Something went wrong", error.rawMessage);
        return;
      }
    }

    if (s.done) {
      return;
    }

    // The stream ended without a terminal state (the gateway restarted, the network dropped): back off, then resume.
    watchStatus.textContent = "Reconnecting…";
    s.resumes++;
    app.dataset.watchResumes = String(s.resumes);
    await sleep(delay + Math.random() * delay * 0.2);
    delay = Math.min(delay * 2, 5000);
  }
}

function seen(s: Session, payment: Payment) {
  if (s.done || payment.version <= s.version) {
    return;
  }

  s.payment = payment;
  s.version = payment.version;
  app.dataset.version = String(payment.version);
  if (payment.state === Payment_State.PENDING) {
    watchStatus.textContent = "Waiting for payment…";
    return;
  }

  const amount = formatMoney(payment);
  switch (payment.state) {
    case Payment_State.PAID:
      finish(s, "PAID", "Paid", `${amount} received. Thank you!`);
      break;
    case Payment_State.FAILED:
      finish(s, "FAILED", "Payment failed", "The bank declined the payment. Please try again.");
      break;
    case Payment_State.EXPIRED:
      finish(s, "EXPIRED", "Expired", "The QR code has expired. Please start again.");
      break;
    case Payment_State.CANCELLED:
      finish(s, "CANCELLED", "Cancelled", "The payment was cancelled.");
      break;
    default:
      finish(s, "ERROR", "Please ask the cashier", `The payment is ${Payment_State[payment.state]}.`);
  }
}

async function cancel() {
  const s = session;
  if (!s || s.done) {
    return;
  }

  cancelButton.disabled = true;
  try {
    const response = await client.cancelPayment({ paymentId: s.payment.paymentId });
    seen(s, response.payment!);
  } catch (e) {
    // FAILED_PRECONDITION: it settled first (paid, expired); the watch shows which.
    const error = ConnectError.from(e);
    if (error.code !== Code.FailedPrecondition) {
      watchStatus.textContent = "Could not cancel: " + error.rawMessage;
      cancelButton.disabled = false;
    }
  }
}

function finish(s: Session, state: string, title: string, detail: string) {
  if (s.done) {
    return;
  }

  stop();
  result.dataset.state = state;
  $("result-title").textContent = title;
  $("result-detail").textContent = detail;
  show("result");
  $("again").focus();
  backToStart = window.setTimeout(reset, resultSeconds * 1000);
}

/** Units and nanos of a typed amount (no floating point), or why it is not one. */
function parseAmount(text: string, currency: string): { units: bigint; nanos: number } | string {
  const match = currency === "KHR" ? /^(\d{1,13})$/.exec(text) : /^(\d{1,10})(?:\.(\d{1,2}))?$/.exec(text);
  if (!match) {
    return currency === "KHR" ? "Enter whole riel, for example 5000." : "Enter dollars with up to two decimals, for example 12.50.";
  }

  const units = BigInt(match[1]);
  const nanos = Number((match[2] ?? "").padEnd(2, "0")) * 10_000_000;
  if (units === 0n && nanos === 0) {
    return "Enter an amount greater than zero.";
  }

  return { units, nanos };
}

function formatMoney(payment: Payment): string {
  const money = payment.amount!;
  if (money.currencyCode === "KHR") {
    return `${money.units.toLocaleString("en-US")} KHR`;
  }

  const cents = String(Math.round(money.nanos / 10_000_000)).padStart(2, "0");
  return `${money.units.toLocaleString("en-US")}.${cents} USD`;
}

/** A fresh idempotency key; crypto.randomUUID needs a secure context, which a kiosk on a LAN address is not. */
function newRequestId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return "kiosk-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function boundedInt(text: string | null, min: number, max: number): number | undefined {
  const n = text === null ? NaN : Number(text);
  return Number.isInteger(n) && n >= min && n <= max ? n : undefined;
}

function sleep(ms: number) {
  return new Promise((resolve) => window.setTimeout(resolve, ms));
}
