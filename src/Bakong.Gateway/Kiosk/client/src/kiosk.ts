// The kiosk page: enter an amount, CreatePayment over gRPC-Web, show the KHQR card (GET /payments/{id}/qr.svg),
// count down to expiry, follow the payment with WatchPayment (resuming by version when the stream drops), then show
// the outcome and go back to the start. Query string: terminal, currency, amount, expires (seconds), result (seconds).
// Pairing: `bakong clients add --role kiosk` prints <gateway>/kiosk?terminal=…#key=<key>. The page keeps that key
// (localStorage), takes it out of the address bar, and sends it as `authorization: Bearer` on every call and with the
// QR image; a gateway that refuses it (no key, a revoked one) gets the "Not paired" screen instead of the keypad.
// Display mode (`mode=display`): no keypad; the page follows the terminal with WatchTerminal, the customer-facing twin of
// the serial display: idle, the QR of each payment the POS creates, its result, idle again. A payment's QR is shown
// only while it is PENDING, so a paid QR never comes back, after a reconnect or a reload too.
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
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
const displayMode = params.get("mode") === "display";

const keyStorage = "bakong.kiosk.key";
let apiKey = takeKey();

/** Sends the paired key, if any, on every call: a sandbox gateway on loopback without keys needs none. */
const authorize: Interceptor = (next) => (request) => {
  if (apiKey) {
    request.header.set("authorization", "Bearer " + apiKey);
  }

  return next(request);
};
const client = createClient(PaymentService, createGrpcWebTransport({ baseUrl: location.origin, interceptors: [authorize] }));

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

type Screen = "start" | "qr" | "result" | "unpaired" | "idle";

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
let cardUrl: string | undefined;
let paired = true;

// Display mode: the terminal's pending payments (latest version of each) and the ids that left PENDING.
const pendingPayments = new Map<string, Payment>();
const settledIds = new Set<string>();
let cursor = "";

document.querySelectorAll(".terminal-id").forEach((e) => (e.textContent = terminalId));
app.dataset.mode = displayMode ? "display" : "keypad";
if (presetCurrency === "USD" || presetCurrency === "KHR") {
  (document.querySelector(`input[name=currency][value=${presetCurrency}]`) as HTMLInputElement).checked = true;
}
reset();
void checkPairing();
if (displayMode) {
  void follow();
}

// Opening a pairing URL on the page already open changes only the fragment, which loads nothing: take the key now.
window.addEventListener("hashchange", () => {
  if (new URLSearchParams(location.hash.slice(1)).has("key")) {
    takeKey();
    location.reload();
  }
});

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
  for (const s of ["start", "qr", "result", "unpaired", "idle"] as const) {
    $(s).hidden = s !== screen;
  }
}

function reset() {
  window.clearTimeout(backToStart);
  stop();
  session = undefined;
  if (!paired) {
    show("unpaired");
    return;
  }

  if (displayMode) {
    show("idle");
    renderDisplay();
    return;
  }

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

  if (cardUrl) {
    card.removeAttribute("src");
    URL.revokeObjectURL(cardUrl);
    cardUrl = undefined;
  }
}

/** The key of a pairing URL's `#key=`, kept and taken out of the address bar; else the one kept before (or none). */
function takeKey(): string | null {
  const fromUrl = new URLSearchParams(location.hash.slice(1)).get("key");
  if (fromUrl !== null) {
    // Out of the address bar (and history) at once, so it is not shown, bookmarked or copied with the address.
    history.replaceState(history.state, "", location.pathname + location.search);
    try {
      localStorage.setItem(keyStorage, fromUrl);
    } catch {
      return fromUrl; // no storage (a private window): paired until the page is reloaded
    }
  }

  try {
    return localStorage.getItem(keyStorage) || fromUrl;
  } catch {
    return fromUrl;
  }
}

/** The gateway refused the key (none, wrong or revoked): forget it and show how to pair. */
function unpair() {
  paired = false;
  apiKey = null;
  try {
    localStorage.removeItem(keyStorage);
  } catch {
    // nothing was kept
  }

  reset();
}

/** True (after showing "Not paired") when the gateway refused the call's key. */
function refused(error: ConnectError): boolean {
  if (error.code === Code.Unauthenticated) {
    unpair();
    return true;
  }

  return false;
}

/**
 * Asks the gateway at load whether it takes this page's key (or needs none), so an unpaired kiosk says so before a
 * customer types an amount. Listing one payment of its terminal is the cheapest call a kiosk key may make; its answer
 * also names the merchant profile that serves the terminal, whose name the start screen and the display's idle screen
 * show (never a technical id).
 */
async function checkPairing() {
  try {
    const response = await client.listPayments({ terminalId, pageSize: 1 });
    const name = response.merchant?.name ?? "";
    document.querySelectorAll(".merchant-name").forEach((e) => (e.textContent = name));
    $("shop-name").textContent = name;
  } catch (e) {
    refused(ConnectError.from(e)); // other errors (the gateway is down, a terminal not bound) show on create
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
      if (refused(error)) {
        return;
      }

      if (attempt >= 3 || (error.code !== Code.Unavailable && error.code !== Code.Unknown)) {
        formError.textContent = "Could not create the payment: " + error.rawMessage;
        createButton.disabled = false;
        return;
      }

      await sleep(500 * attempt);
    }
  }
}

/** Shows the payment's QR and countdown; the keypad's payment is followed with WatchPayment, the display's by its terminal's stream. */
function start(payment: Payment, followPayment = true) {
  const s: Session = { payment, version: 0n, resumes: 0, done: false, abort: new AbortController() };
  session = s;
  const amount = formatMoney(payment);
  void loadCard(s);
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
  if (followPayment) {
    void watch(s);
  }
}

/**
 * The KHQR card, fetched with the key (an img src cannot send a header) and shown from a blob: URL, which the page's
 * CSP allows for images. A 401 means the key was refused.
 */
async function loadCard(s: Session) {
  const url = `/payments/${encodeURIComponent(s.payment.paymentId)}/qr.svg?style=card&size=800`;
  for (let attempt = 1; !s.done; attempt++) {
    try {
      const response = await fetch(url, {
        headers: apiKey ? { authorization: "Bearer " + apiKey } : {},
        signal: s.abort.signal,
      });
      if (response.status === 401) {
        unpair();
        return;
      }

      if (response.ok) {
        const blob = await response.blob();
        if (!s.done) {
          cardUrl = URL.createObjectURL(blob);
          card.src = cardUrl;
        }

        return;
      }
    } catch {
      // the network dropped or the page moved on: try again below, unless the session is over
    }

    if (attempt >= 3 || s.done) {
      if (!s.done) {
        watchStatus.textContent = "Could not load the QR code: please cancel and try again.";
      }

      return;
    }

    await sleep(500 * attempt);
  }
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
      if (refused(error)) {
        return;
      }

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
    if (refused(error)) {
      return;
    }

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

/**
 * Follows the terminal with WatchTerminal until the page is unpaired: catch-up, then each change. On a dropped stream
 * it calls again with the last cursor (backing off); the gateway either resumes from it or starts over from the current
 * state, which the `caught_up` marker says.
 */
async function follow() {
  let delay = 250;
  let streams = 0;
  while (paired) {
    const catchUp: Payment[] = [];
    let caughtUp = false;
    try {
      app.dataset.watchStreams = String(++streams);
      for await (const message of client.watchTerminal({ terminalId, cursor })) {
        const event = message.event;
        if (event.case === "payment") {
          if (caughtUp) {
            changed(event.value);
          } else {
            catchUp.push(event.value);
          }
        } else if (event.case === "caughtUp") {
          caughtUp = true;
          caughtUpWith(catchUp, event.value.resumed);
        }

        // Only a cursor of what was applied: the catch-up is applied at its marker.
        if (caughtUp && message.cursor) {
          cursor = message.cursor;
        }

        delay = 250;
      }
    } catch (e) {
      const error = ConnectError.from(e);
      if (refused(error)) {
        return;
      }

      if (error.code === Code.PermissionDenied) {
        paired = false;
        $("unpaired-detail").textContent = "This kiosk's key is not for this terminal.";
        reset();
        return;
      }

      if (error.code === Code.InvalidArgument) {
        cursor = ""; // not a cursor the gateway takes (another terminal's): start over from the current state
      }
    }

    await sleep(delay + Math.random() * delay * 0.2);
    delay = Math.min(delay * 2, 5000);
  }
}

/** The end of a catch-up: apply the changes it resumed with, or take the pending payments it sent as the new state. */
function caughtUpWith(catchUp: Payment[], resumed: boolean) {
  app.dataset.caughtUp = resumed ? "resumed" : "current";
  if (resumed) {
    catchUp.forEach(changed);
    renderDisplay();
    return;
  }

  pendingPayments.clear();
  for (const payment of catchUp) {
    if (payment.state === Payment_State.PENDING && !settledIds.has(payment.paymentId)) {
      pendingPayments.set(payment.paymentId, payment);
    }
  }

  // The payment on screen is no longer pending: it settled while the stream was down. Its result, not its QR.
  const s = session;
  if (s && !s.done && !pendingPayments.has(s.payment.paymentId)) {
    void client
      .getPayment({ paymentId: s.payment.paymentId })
      .then((r) => changed(r.payment!))
      .catch(() => reset());
    return;
  }

  renderDisplay();
}

function changed(payment: Payment) {
  const id = payment.paymentId;
  if (settledIds.has(id)) {
    return; // its QR is gone for good; a later PAID_LATE is not the customer's business
  }

  if (payment.state === Payment_State.PENDING) {
    const had = pendingPayments.get(id);
    if (!had || had.version < payment.version) {
      pendingPayments.set(id, payment);
    }
  } else {
    pendingPayments.delete(id);
    settledIds.add(id);
    if (settledIds.size > 1000) {
      settledIds.delete(settledIds.values().next().value!); // the oldest: long gone from any catch-up
    }

    if (session && !session.done && session.payment.paymentId === id) {
      seen(session, payment); // the result screen, then reset() comes back here
      return;
    }
  }

  renderDisplay();
}

/** What the customer sees now: a result stays its time; else the QR on screen while pending, the newest pending one, or idle. */
function renderDisplay() {
  if (!paired || app.dataset.screen === "result") {
    return;
  }

  if (session && !session.done && pendingPayments.has(session.payment.paymentId)) {
    return;
  }

  stop();
  session = undefined;
  let newest: Payment | undefined;
  for (const payment of pendingPayments.values()) {
    if (!newest || timestampMs(payment.createTime!) >= timestampMs(newest.createTime!)) {
      newest = payment;
    }
  }

  if (newest) {
    start(newest, false);
  } else {
    delete app.dataset.paymentId;
    show("idle");
  }
}
