// The kiosk page: enter an amount, CreatePayment over gRPC-Web, show the KHQR card (GET /payments/{id}/qr.svg),
// count down to expiry, follow the payment with WatchPayment (resuming by version when the stream drops), then show
// the outcome and go back to the start. Query string: terminal, currency, amount, expires (seconds), result (seconds).
// Pairing: `bakong clients add --role kiosk` prints <gateway>/kiosk?terminal=…#key=<key>. The page keeps that key
// (localStorage), takes it out of the address bar, and sends it as `authorization: Bearer` on every call and with the
// QR image; a gateway that refuses it (no key, a revoked one) gets the "Not paired" screen instead of the keypad.
// Display mode (`mode=display`): no keypad; the page follows the terminal with WatchTerminal, the customer-facing twin of
// the serial display: idle, the QR of each payment the POS creates, its result, idle again. A payment's QR is shown
// only while it is PENDING, so a paid QR never comes back, after a reconnect or a reload too.
// Language: Khmer or English, every text the customer sees from the message table below; the page starts in its
// merchant profile's language (ListPayments' `merchant`), the customer may switch (ខ្មែរ / English), and the next
// customer starts in the profile's language again. No terminal or payment id is shown to the customer.
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
const card = $("qr-card");
const countdown = $("countdown");
const watchStatus = $("watch-status");
const cancelButton = $<HTMLButtonElement>("cancel");
const result = $("result");

type Screen = "start" | "qr" | "result" | "unpaired" | "idle";

/** The page's English texts; `{name}` is filled in by `t`. */
const en = {
  title: "Pay with KHQR",
  language: "Language",
  startTitle: "Pay with any bank app",
  amount: "Amount",
  currency: "Currency",
  khr: "KHR riel",
  usd: "USD dollar",
  keypad: "Keypad",
  delete: "Delete",
  showQr: "Show QR",
  wholeRiel: "Enter whole riel, for example 5000.",
  dollars: "Enter dollars with up to two decimals, for example 12.50.",
  positive: "Enter an amount greater than zero.",
  createFailed: "Could not create the payment: {detail}",
  scanToPay: "Scan to pay",
  cardAlt: "KHQR code: scan with your bank app to pay {amount}",
  expiresIn: "Expires in",
  waiting: "Waiting for payment…",
  timeUp: "Time is up: checking with the bank…",
  cardFailed: "Could not load the QR code: please cancel and try again.",
  reconnecting: "Reconnecting…",
  cancel: "Cancel",
  cancelFailed: "Could not cancel: {detail}",
  paid: "Paid",
  paidDetail: "{amount} received. Thank you!",
  failed: "Payment failed",
  failedDetail: "The bank declined the payment. Please try again.",
  expired: "Expired",
  expiredDetail: "The QR code has expired. Please start again.",
  cancelled: "Cancelled",
  cancelledDetail: "The payment was cancelled.",
  askCashier: "Please ask the cashier",
  otherState: "The payment is {state}.",
  error: "Something went wrong",
  errorDetail: "{detail}",
  again: "New payment",
  welcome: "Welcome",
  idleHint: "Pay with any bank app: the QR code appears here.",
  notPaired: "Not paired",
  notPairedDetail: "This kiosk has no key the gateway accepts (never paired, or its key was revoked).",
  wrongTerminal: "This kiosk's key is not for this terminal.",
  pairRun: "To pair it, run",
  pairOpen: "and open the pairing URL it prints in this browser.",
};
type Message = keyof typeof en;

/** The same texts in Khmer: short, as a Cambodian shop would say them. */
const km: Record<Message, string> = {
  title: "បង់ប្រាក់ដោយ KHQR",
  language: "ភាសា",
  startTitle: "បង់ប្រាក់ដោយកម្មវិធីធនាគារណាមួយ",
  amount: "ចំនួនទឹកប្រាក់",
  currency: "រូបិយប័ណ្ណ",
  khr: "KHR រៀល",
  usd: "USD ដុល្លារ",
  keypad: "ក្ដារលេខ",
  delete: "លុប",
  showQr: "បង្ហាញ QR",
  wholeRiel: "សូមបញ្ចូលចំនួនរៀលគត់ ឧទាហរណ៍ 5000។",
  dollars: "សូមបញ្ចូលដុល្លារ មានខ្ទង់ទសភាគយ៉ាងច្រើនពីរ ឧទាហរណ៍ 12.50។",
  positive: "សូមបញ្ចូលចំនួនទឹកប្រាក់ធំជាងសូន្យ។",
  createFailed: "មិនអាចបង្កើតការបង់ប្រាក់បានទេ៖ {detail}",
  scanToPay: "ស្កេនដើម្បីបង់ប្រាក់",
  cardAlt: "កូដ KHQR៖ ស្កេនដោយកម្មវិធីធនាគាររបស់អ្នក ដើម្បីបង់ {amount}",
  expiresIn: "ផុតកំណត់ក្នុង",
  waiting: "កំពុងរង់ចាំការបង់ប្រាក់…",
  timeUp: "អស់ពេលហើយ៖ កំពុងពិនិត្យជាមួយធនាគារ…",
  cardFailed: "មិនអាចបង្ហាញកូដ QR បានទេ៖ សូមបោះបង់ ហើយព្យាយាមម្ដងទៀត។",
  reconnecting: "កំពុងភ្ជាប់ឡើងវិញ…",
  cancel: "បោះបង់",
  cancelFailed: "មិនអាចបោះបង់បានទេ៖ {detail}",
  paid: "បានទូទាត់",
  paidDetail: "បានទទួល {amount}។ សូមអរគុណ!",
  failed: "ការបង់ប្រាក់បរាជ័យ",
  failedDetail: "ធនាគារបានបដិសេធការបង់ប្រាក់។ សូមព្យាយាមម្ដងទៀត។",
  expired: "ផុតកំណត់",
  expiredDetail: "កូដ QR បានផុតកំណត់។ សូមចាប់ផ្ដើមម្ដងទៀត។",
  cancelled: "បានបោះបង់",
  cancelledDetail: "ការបង់ប្រាក់ត្រូវបានបោះបង់។",
  askCashier: "សូមសួរអ្នកគិតលុយ",
  otherState: "ស្ថានភាពការបង់ប្រាក់៖ {state}។",
  error: "មានបញ្ហាអ្វីមួយ",
  errorDetail: "{detail}",
  again: "ការបង់ប្រាក់ថ្មី",
  welcome: "សូមស្វាគមន៍",
  idleHint: "បង់ប្រាក់ដោយកម្មវិធីធនាគារណាមួយ៖ កូដ QR នឹងបង្ហាញនៅទីនេះ។",
  notPaired: "មិនទាន់បានផ្គូផ្គង",
  notPairedDetail: "ម៉ាស៊ីននេះគ្មានសោដែលច្រកទូទាត់ទទួលយកទេ (មិនដែលផ្គូផ្គង ឬសោត្រូវបានដកហូត)។",
  wrongTerminal: "សោរបស់ម៉ាស៊ីននេះមិនមែនសម្រាប់ស្ថានីយនេះទេ។",
  pairRun: "ដើម្បីផ្គូផ្គង សូមដំណើរការ",
  pairOpen: "ហើយបើក URL ផ្គូផ្គងដែលវាបង្ហាញ នៅក្នុងកម្មវិធីរុករកនេះ។",
};

type Language = "en" | "km";
const messages: Record<Language, Record<Message, string>> = { en, km };
type Vars = Record<string, string>;

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
let paired = true;

// The language of the profile (the start of every customer's session) and the one on screen now.
let profileLanguage: Language = "en";
let language: Language = "en";
let merchant = { name: "", nameKhmer: "" };
/** What fills the `{…}` of each element's text now (its key is its data-t). */
const textVars = new Map<HTMLElement, Vars>();

// Display mode: the terminal's pending payments (latest version of each) and the ids that left PENDING.
const pendingPayments = new Map<string, Payment>();
const settledIds = new Set<string>();
let cursor = "";

document.querySelectorAll(".terminal-id").forEach((e) => (e.textContent = terminalId)); // the pairing help only
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
    say(formError, "");
  }),
);
cancelButton.addEventListener("click", () => void cancel());
$("again").addEventListener("click", reset);
document.querySelectorAll<HTMLButtonElement>("[data-language]").forEach((b) =>
  b.addEventListener("click", () => {
    language = b.dataset.language as Language;
    applyLanguage();
  }),
);

/** A message in the language on screen, its `{name}`s filled from `vars`. */
function t(key: Message, vars: Vars = {}): string {
  return messages[language][key].replace(/\{(\w+)\}/g, (_, name: string) => vars[name] ?? "");
}

/** Shows a message in `element` (empty: none), and keeps it there in whichever language the customer switches to. */
function say(element: HTMLElement, key: Message | "", vars: Vars = {}) {
  if (key) {
    element.dataset.t = key;
    textVars.set(element, vars);
  } else {
    delete element.dataset.t;
    textVars.delete(element);
  }

  element.textContent = key ? t(key, vars) : "";
}

/** Puts every text on the page in `language`: the marked elements, labels, the shop's name, the QR's description. */
function applyLanguage() {
  document.documentElement.lang = language;
  document.title = t("title");
  document.querySelectorAll<HTMLElement>("[data-t]").forEach((e) => (e.textContent = t(e.dataset.t as Message, textVars.get(e))));
  document.querySelectorAll<HTMLElement>("[data-t-label]").forEach((e) => e.setAttribute("aria-label", t(e.dataset.tLabel as Message)));
  document.querySelectorAll<HTMLElement>("[data-language]").forEach((e) => e.setAttribute("aria-pressed", String(e.dataset.language === language)));
  const name = language === "km" && merchant.nameKhmer ? merchant.nameKhmer : merchant.name;
  document.querySelectorAll(".merchant-name, #shop-name").forEach((e) => (e.textContent = name));
  if (session) {
    card.setAttribute("aria-label", t("cardAlt", { amount: formatMoney(session.payment) }));
  }
}

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
  language = profileLanguage; // the next customer starts in the shop's language
  applyLanguage();
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
  say(formError, "");
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

  card.replaceChildren();
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
    merchant = { name: response.merchant?.name ?? "", nameKhmer: response.merchant?.nameKhmer ?? "" };
    profileLanguage = response.merchant?.language === "km" ? "km" : "en";
    if (!session) {
      language = profileLanguage; // unless a customer is already paying (in the language they chose)
    }

    applyLanguage();
  } catch (e) {
    refused(ConnectError.from(e)); // other errors (the gateway is down, a terminal not bound) show on create
  }
}

async function create() {
  const currency = (document.querySelector("input[name=currency]:checked") as HTMLInputElement).value;
  const amount = parseAmount(amountInput.value.trim(), currency);
  if (typeof amount === "string") {
    say(formError, amount);
    amountInput.focus();
    return;
  }

  createButton.disabled = true;
  say(formError, "");
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
        say(formError, "createFailed", { detail: error.rawMessage });
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
  void loadCard(s);
  card.setAttribute("aria-label", t("cardAlt", { amount: formatMoney(payment) }));
  say(watchStatus, "waiting");
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
      say(watchStatus, "timeUp");
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
 * The KHQR card, fetched with the key (an img src cannot send a header) and put into the page as inline SVG: an SVG
 * shown as an image may use no font but the system's, so the shop's Khmer name on the card would be boxes on a kiosk
 * without a Khmer font; inline, it is drawn with the page's own Noto Sans Khmer. The SVG is the gateway's own (the same
 * origin, every text in it escaped), and the page's CSP runs no inline script or event handler in it anyway.
 * A 401 means the key was refused.
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
        const svg = new DOMParser().parseFromString(await response.text(), "image/svg+xml").documentElement;
        if (!s.done && svg instanceof SVGSVGElement) {
          svg.setAttribute("aria-hidden", "true"); // the card's description is #qr-card's label, in the page's language
          card.replaceChildren(document.importNode(svg, true));
          return;
        }

        if (s.done) {
          return;
        }
      }
    } catch {
      // the network dropped or the page moved on: try again below, unless the session is over
    }

    if (attempt >= 3 || s.done) {
      if (!s.done) {
        say(watchStatus, "cardFailed");
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
        finish(s, "ERROR", "error", "errorDetail", { detail: error.rawMessage });
        return;
      }
    }

    if (s.done) {
      return;
    }

    // The stream ended without a terminal state (the gateway restarted, the network dropped): back off, then resume.
    say(watchStatus, "reconnecting");
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
    say(watchStatus, "waiting");
    return;
  }

  switch (payment.state) {
    case Payment_State.PAID:
      finish(s, "PAID", "paid", "paidDetail", { amount: formatMoney(payment) });
      break;
    case Payment_State.FAILED:
      finish(s, "FAILED", "failed", "failedDetail");
      break;
    case Payment_State.EXPIRED:
      finish(s, "EXPIRED", "expired", "expiredDetail");
      break;
    case Payment_State.CANCELLED:
      finish(s, "CANCELLED", "cancelled", "cancelledDetail");
      break;
    default:
      finish(s, "ERROR", "askCashier", "otherState", { state: Payment_State[payment.state] });
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
      say(watchStatus, "cancelFailed", { detail: error.rawMessage });
      cancelButton.disabled = false;
    }
  }
}

function finish(s: Session, state: string, title: Message, detail: Message, vars: Vars = {}) {
  if (s.done) {
    return;
  }

  stop();
  result.dataset.state = state;
  say($("result-title"), title);
  say($("result-detail"), detail, vars);
  show("result");
  $("again").focus();
  backToStart = window.setTimeout(reset, resultSeconds * 1000);
}

/** Units and nanos of a typed amount (no floating point), or the message saying why it is not one. */
function parseAmount(text: string, currency: string): { units: bigint; nanos: number } | Message {
  const match = currency === "KHR" ? /^(\d{1,13})$/.exec(text) : /^(\d{1,10})(?:\.(\d{1,2}))?$/.exec(text);
  if (!match) {
    return currency === "KHR" ? "wholeRiel" : "dollars";
  }

  const units = BigInt(match[1]);
  const nanos = Number((match[2] ?? "").padEnd(2, "0")) * 10_000_000;
  if (units === 0n && nanos === 0) {
    return "positive";
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
        say($("unpaired-detail"), "wrongTerminal");
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
