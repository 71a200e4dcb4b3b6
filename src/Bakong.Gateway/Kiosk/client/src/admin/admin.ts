// The operator dashboard at /admin: the Bakong token (days left, renew), today's totals per terminal (the settlement
// report of today), the latest payments (followed live with one WatchPayments stream of every terminal), the exception queue
// (accept, or record a refund Bakong confirms), the displays (link state, firmware, last fault, a test beep) and the
// recent failed Bakong calls. Everything goes through the admin, payment and display APIs over gRPC-Web with an
// operator's key.
// Pairing as the kiosk's: `bakong clients add --role operator --admin-url …` prints <gateway>/admin#key=<key>; the page
// keeps the key (localStorage), takes it out of the address bar and sends it as `authorization: Bearer`. A key can
// also be pasted into the form. The key is never shown again, and no server string is ever rendered as HTML
// (textContent only); a refusal is shown in the page's own words, chosen by its ErrorInfo reason.
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import {
  AdminService,
  ExceptionKind,
  type PaymentException,
  type TokenStatus,
  TokenStatus_State,
} from "../gen/bakong/admin/v1/admin_service_pb";
import {
  Ack_Result,
  type Display,
  Display_LinkState,
  DisplayService,
  LinkFault_Kind,
  SendDisplayCommandRequest_BeepPattern,
} from "../gen/bakong/display/v1/display_service_pb";
import { PaymentService } from "../gen/bakong/payments/v1/payment_service_pb";
import { type Payment, Payment_State } from "../gen/bakong/payments/v1/payment_pb";

const keyStorage = "bakong.admin.key";
/** How many payments the list shows. */
const paymentCount = 20;
/** The display API has no stream: the displays' link states are read again at this interval while any is configured. */
const displayRefreshMs = 10_000;
/** The refund transfer's hash as Bakong writes it (the gateway takes either case). */
const hashPattern = /^[0-9a-fA-F]{64}$/;

let apiKey = takeKey();
const authorize: Interceptor = (next) => (request) => {
  if (apiKey) {
    request.header.set("authorization", "Bearer " + apiKey);
  }

  return next(request);
};
const transport = createGrpcWebTransport({ baseUrl: location.origin, interceptors: [authorize] });
const admin = createClient(AdminService, transport);
const payments = createClient(PaymentService, transport);
const displays = createClient(DisplayService, transport);

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const app = $("app");

/**
 * The one stream of every terminal's payments (WatchPayments); aborted when the page unpairs. One stream, however
 * many tills: the Web endpoint speaks HTTP/1.1, where a browser keeps at most 6 connections to one gateway and each
 * open stream holds one.
 */
let watching: AbortController | undefined;
const shown = new Map<string, Payment>();
let displayTimer: number | undefined;
let totalsQueued = false;
let exceptionsQueued = false;
let streamsOpened = 0;

$("pair-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const input = $<HTMLInputElement>("pair-key");
  const key = input.value.trim();
  input.value = ""; // never left on screen
  if (key) {
    keep(key);
    apiKey = key;
    void open();
  }
});
$("forget").addEventListener("click", () => unpair(""));
$("renew").addEventListener("click", () => void renew());
$("displays-refresh").addEventListener("click", () => void loadDisplays());
window.addEventListener("hashchange", () => {
  if (new URLSearchParams(location.hash.slice(1)).has("key")) {
    apiKey = takeKey();
    void open();
  }
});

void open();

function show(screen: "pair" | "dashboard") {
  app.dataset.screen = screen;
  $("pair").hidden = screen !== "pair";
  $("dashboard").hidden = screen !== "dashboard";
}

/** Checks the key with the token status (an operator-only call), then loads every section. */
async function open() {
  try {
    const status = await admin.getTokenStatus({});
    show("dashboard");
    showToken(status.token);
  } catch (e) {
    if (!refused(ConnectError.from(e))) {
      unpair("The gateway could not be reached: " + ConnectError.from(e).rawMessage);
    }

    return;
  }

  void loadErrors();
  void loadExceptions();
  void loadTotals();
  void loadDisplays();
  void loadPayments();
  watching?.abort();
  watching = new AbortController();
  void followPayments(watching.signal);
}

/** The key of a pairing URL's `#key=`, kept and taken out of the address bar; else the one kept before (or none). */
function takeKey(): string | null {
  const fromUrl = new URLSearchParams(location.hash.slice(1)).get("key");
  if (fromUrl !== null) {
    history.replaceState(history.state, "", location.pathname + location.search);
    keep(fromUrl);
  }

  try {
    return localStorage.getItem(keyStorage) || fromUrl;
  } catch {
    return fromUrl;
  }
}

function keep(key: string) {
  try {
    localStorage.setItem(keyStorage, key);
  } catch {
    // no storage (a private window): the key lasts until the page is reloaded
  }
}

/** Forgets the key, stops every stream and shows the pairing form with why. */
function unpair(reason: string) {
  apiKey = null;
  try {
    localStorage.removeItem(keyStorage);
  } catch {
    // nothing was kept
  }

  window.clearTimeout(displayTimer);
  watching?.abort();
  watching = undefined;
  shown.clear();
  $("pair-reason").textContent = reason;
  app.dataset.refused = reason ? "true" : "false";
  show("pair");
}

/** True (after showing the pairing form with the reason) when the gateway refused the key. */
function refused(error: ConnectError): boolean {
  if (error.code === Code.Unauthenticated) {
    unpair(apiKey ? "The gateway does not accept this key (wrong or revoked)." : "");
    return true;
  }

  if (error.code === Code.PermissionDenied) {
    unpair("This key is not an operator's key: a terminal's or kiosk's key cannot open the dashboard.");
    return true;
  }

  return false;
}

function status(text: string) {
  $("status").textContent = text;
}

function showToken(token: TokenStatus | undefined) {
  const days = $("token-days");
  const state = $("token-state");
  if (!token) {
    days.textContent = "–";
    state.textContent = "";
    return;
  }

  const name = TokenStatus_State[token.state] ?? "UNSPECIFIED";
  days.textContent = token.expireTime ? `${token.daysLeft} days left` : "No token";
  state.textContent = name.replace("_", " ").toLowerCase();
  state.className = "state state-" + name;
  app.dataset.tokenDays = String(token.daysLeft);
  const parts = [token.environment];
  if (token.expireTime) {
    parts.push("expires " + timestampDate(token.expireTime).toLocaleString());
  }

  if (token.emailHint) {
    parts.push("renews for " + token.emailHint);
  }

  $("token-detail").textContent = parts.filter((p) => p).join(" · ");
}

async function renew() {
  const button = $<HTMLButtonElement>("renew");
  const message = $("token-message");
  button.disabled = true;
  message.textContent = "Renewing…";
  try {
    const response = await admin.renewToken({});
    showToken(response.token);
    message.textContent = response.message || "Renewed.";
  } catch (e) {
    const error = ConnectError.from(e);
    if (!refused(error)) {
      message.textContent = "Not renewed: " + error.rawMessage;
    }
  } finally {
    button.disabled = false;
  }
}

/** Today in the gateway's report time zone (Asia/Phnom_Penh unless the report says another). */
function today(timeZone: string): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
}

let reportZone = "Asia/Phnom_Penh";

/** Reads today's totals. */
async function loadTotals() {
  try {
    let report = await admin.getSettlementReport({ date: today(reportZone) });
    if (report.timeZone && report.timeZone !== reportZone) {
      reportZone = report.timeZone;
      report = await admin.getSettlementReport({ date: today(reportZone) });
    }

    $("totals-date").textContent = report.date;
    const body = $("totals").querySelector("tbody")!;
    body.replaceChildren(
      ...report.totals.map((t) => row(t.terminalId, stateName(t.state), String(t.count), `${t.total} ${t.currencyCode}`)),
    );
    $("totals-empty").hidden = report.totals.length > 0;
  } catch (e) {
    if (!refused(ConnectError.from(e))) {
      status("Totals: " + ConnectError.from(e).rawMessage);
    }
  }
}

/** Reads the totals again once after a burst of payment changes. */
function totalsChanged() {
  if (!totalsQueued) {
    totalsQueued = true;
    window.setTimeout(() => {
      totalsQueued = false;
      void loadTotals();
    }, 300);
  }
}

function row(...cells: string[]): HTMLTableRowElement {
  const tr = document.createElement("tr");
  cells.forEach((text, i) => {
    const td = document.createElement("td");
    td.textContent = text;
    if (i >= 2) {
      td.className = "num";
    }

    tr.append(td);
  });
  return tr;
}

async function loadErrors() {
  try {
    // The audit filters by one outcome; every outcome but Success is an error worth showing.
    const response = await admin.listBakongCalls({ pageSize: 100 });
    const errors = response.calls.filter((c) => c.outcome !== "Success").slice(0, 10);
    $("errors").replaceChildren(
      ...errors.map((c) => {
        const parts = [
          c.time ? timestampDate(c.time).toLocaleString() : "",
          c.endpoint,
          c.outcome,
          c.errorCode !== undefined ? "errorCode " + c.errorCode : "",
          c.responseMessage,
        ];
        return item(parts.filter((p) => p));
      }),
    );
    $("errors-empty").hidden = errors.length > 0;
  } catch (e) {
    if (!refused(ConnectError.from(e))) {
      status("Bakong calls: " + ConnectError.from(e).rawMessage);
    }
  }
}

function item(parts: string[], stateClass?: string): HTMLLIElement {
  const li = document.createElement("li");
  parts.forEach((text, i) => {
    const span = document.createElement("span");
    span.textContent = text;
    if (i === 0 && stateClass) {
      span.className = "state state-" + stateClass;
    }

    li.append(span);
  });
  return li;
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, text = "", className = ""): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  e.textContent = text;
  if (className) {
    e.className = className;
  }

  return e;
}

// ---- Payments: the latest page once, then one WatchPayments stream of every terminal ----

/** The latest page of payments, read once at open (the stream brings every change after). */
async function loadPayments() {
  try {
    const response = await payments.listPayments({ pageSize: paymentCount });
    let changed = false;
    for (const p of response.payments) {
      changed = merge(p) || changed;
    }

    render();
    if (changed) {
      totalsChanged();
    }
  } catch (e) {
    if (!refused(ConnectError.from(e))) {
      status("Payments: " + ConnectError.from(e).rawMessage);
    }
  }
}

/**
 * Follows every terminal with WatchPayments until the page unpairs: the catch-up, then each change as it is committed,
 * a terminal's first payment too. A dropped stream is called again with the last cursor, backing off from 250 ms to
 * 5 s; the gateway resumes from it or starts over from the current state, which the `caught_up` marker says.
 */
async function followPayments(signal: AbortSignal) {
  let cursor = "";
  let delay = 250;
  while (!signal.aborted) {
    const catchUp: Payment[] = [];
    let caughtUp = false;
    try {
      app.dataset.streamsOpened = String(++streamsOpened);
      for await (const message of admin.watchPayments({ cursor }, { signal })) {
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
      if (signal.aborted || refused(ConnectError.from(e))) {
        return;
      }

      if (ConnectError.from(e).code === Code.InvalidArgument) {
        cursor = ""; // a cursor the gateway no longer takes: start over from the current state
      }
    }

    await new Promise((resolve) => window.setTimeout(resolve, delay + Math.random() * delay * 0.2));
    delay = Math.min(delay * 2, 5000);
  }
}

/**
 * The end of a catch-up: its payments are applied. A catch-up that did not resume holds only the pending payments (of
 * every terminal): one the page shows as pending that is not among them settled while the stream was down, so it is read.
 */
function caughtUpWith(catchUp: Payment[], resumed: boolean) {
  catchUp.forEach(changed);
  if (resumed) {
    return;
  }

  const pending = new Set(catchUp.map((p) => p.paymentId));
  for (const p of shown.values()) {
    if (p.state === Payment_State.PENDING && !pending.has(p.paymentId)) {
      void payments
        .getPayment({ paymentId: p.paymentId })
        .then((r) => changed(r.payment!))
        .catch((e: unknown) => refused(ConnectError.from(e)));
    }
  }
}

/** A payment from a stream: shown, counted in the totals, and the exception queue read again when it may be in it. */
function changed(p: Payment) {
  if (!merge(p)) {
    return;
  }

  render();
  totalsChanged();
  if (p.needsReview || p.state === Payment_State.PAID_LATE || p.resolution) {
    exceptionsChanged();
  }
}

/** Keeps the newer version of a payment. True when something changed. */
function merge(p: Payment): boolean {
  const old = shown.get(p.paymentId);
  if (old && old.version >= p.version) {
    return false;
  }

  shown.set(p.paymentId, p);
  return true;
}

function createSeconds(p: Payment): bigint {
  return p.createTime?.seconds ?? 0n;
}

/** Shows the newest paymentCount payments, newest first; older ones are let go. */
function render() {
  const list = [...shown.values()].sort((a, b) => Number(createSeconds(b) - createSeconds(a)));
  for (const p of list.splice(paymentCount)) {
    shown.delete(p.paymentId);
  }

  $("payments").replaceChildren(
    ...list.map((p) => {
      const name = stateName(p.state);
      const li = item(
        [name, formatMoney(p), p.terminalId, p.createTime ? timestampDate(p.createTime).toLocaleTimeString() : "", p.paymentId],
        name,
      );
      li.dataset.paymentId = p.paymentId;
      li.dataset.state = name;
      return li;
    }),
  );
  $("payments-empty").hidden = list.length > 0;
}

function stateName(state: Payment_State): string {
  return Payment_State[state] ?? "UNSPECIFIED";
}

function formatMoney(payment: Payment): string {
  const money = payment.amount;
  if (!money) {
    return "";
  }

  if (money.currencyCode === "KHR") {
    return `${money.units.toLocaleString("en-US")} KHR`;
  }

  const cents = String(Math.round(money.nanos / 10_000_000)).padStart(2, "0");
  return `${money.units.toLocaleString("en-US")}.${cents} USD`;
}

// ---- The exception queue ----

/** Reads the queue again once after a burst of changes. */
function exceptionsChanged() {
  if (!exceptionsQueued) {
    exceptionsQueued = true;
    window.setTimeout(() => {
      exceptionsQueued = false;
      void loadExceptions();
    }, 300);
  }
}

/** The queue's first page (oldest first); a row being resolved keeps its form and message. */
async function loadExceptions() {
  try {
    const response = await admin.listExceptions({ pageSize: 50 });
    const list = $("exceptions");
    const rows = response.exceptions.map(
      (x) => list.querySelector<HTMLLIElement>(`li[data-payment-id="${CSS.escape(x.payment!.paymentId)}"]`) ?? exceptionRow(x),
    );
    list.replaceChildren(...rows);
    $("exceptions-empty").hidden = rows.length > 0;
    $("exceptions-more").hidden = !response.nextPageToken;
  } catch (e) {
    if (!refused(ConnectError.from(e))) {
      status("Exceptions: " + ConnectError.from(e).rawMessage);
    }
  }
}

function exceptionRow(x: PaymentException): HTMLLIElement {
  const p = x.payment!;
  const kind = x.kind === ExceptionKind.PAID_LATE ? "Paid late" : "Needs review";
  const li = document.createElement("li");
  li.className = "exception";
  li.dataset.paymentId = p.paymentId;
  li.dataset.kind = ExceptionKind[x.kind] ?? "UNSPECIFIED";
  const received = p.bakongTransaction?.createTime ?? p.createTime;
  const facts = element("div", "", "facts");
  facts.append(
    element("span", kind, "state state-EXCEPTION"),
    element("span", x.reason, "reason"),
    element("span", formatMoney(p)),
    element("span", p.terminalId),
    element("span", received ? timestampDate(received).toLocaleString() : ""),
    element("span", p.paymentId, "muted"),
  );

  const accept = element("button", "Accept", "primary");
  accept.type = "button";
  const refunded = element("button", "Refunded…", "secondary");
  refunded.type = "button";
  const actions = element("div", "", "actions");
  actions.append(accept, refunded);

  const form = element("form", "", "refund");
  form.hidden = true;
  form.noValidate = true;
  const inputId = "refund-" + p.paymentId;
  const label = element("label", "Refund transaction hash (64 hex digits, from the banking app's receipt)");
  label.htmlFor = inputId;
  const input = element("input");
  input.id = inputId;
  input.autocomplete = "off";
  input.spellcheck = false;
  input.maxLength = 64;
  const record = element("button", "Record refund", "primary");
  record.type = "submit";
  form.append(label, input, record);

  // Accepting keeps the money as the sale, and a resolution cannot be undone: the page asks once more.
  const confirm = element("div", "", "confirm");
  confirm.hidden = true;
  const yes = element("button", "Yes, keep it", "primary");
  yes.type = "button";
  const back = element("button", "Back", "secondary");
  back.type = "button";
  confirm.append(element("span", "Keep the money received as the sale? A resolution cannot be undone."), yes, back);

  const outcome = element("p", "", "outcome");
  outcome.setAttribute("role", "alert");
  li.append(facts, actions, confirm, form, outcome);

  const busy = (on: boolean) => [accept, refunded, record, yes].forEach((b) => (b.disabled = on));
  accept.addEventListener("click", () => {
    form.hidden = true;
    confirm.hidden = false;
    yes.focus();
  });
  back.addEventListener("click", () => {
    confirm.hidden = true;
    accept.focus();
  });
  yes.addEventListener("click", () => {
    confirm.hidden = true;
    void resolve(p.paymentId, { case: "accept", value: {} }, outcome, busy);
  });
  refunded.addEventListener("click", () => {
    confirm.hidden = true;
    form.hidden = !form.hidden;
    if (!form.hidden) {
      input.focus();
    }
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const hash = input.value.trim();
    if (!hashPattern.test(hash)) {
      outcome.textContent = "A refund's hash is 64 hex digits (0-9, a-f): copy it from the banking app's receipt.";
      return;
    }

    void resolve(p.paymentId, { case: "refunded", value: { transactionHash: hash } }, outcome, busy);
  });
  return li;
}

type Resolution = { case: "accept"; value: object } | { case: "refunded"; value: { transactionHash: string } };

/** Resolves a payment; a resolved one leaves the queue, a refusal stays on its row in the page's own words. */
async function resolve(paymentId: string, resolution: Resolution, outcome: HTMLElement, busy: (on: boolean) => void) {
  busy(true);
  outcome.textContent = resolution.case === "accept" ? "Accepting…" : "Checking the refund with Bakong…";
  try {
    await admin.resolvePayment({ paymentId, resolution });
    $("exceptions-message").textContent =
      resolution.case === "accept" ? `${paymentId}: accepted as the sale.` : `${paymentId}: refund recorded (Bakong confirmed it).`;
    $("exceptions").querySelector(`li[data-payment-id="${CSS.escape(paymentId)}"]`)?.remove();
    $("exceptions-empty").hidden = $("exceptions").children.length > 0;
    void loadExceptions();
  } catch (e) {
    const error = ConnectError.from(e);
    if (refused(error)) {
      return;
    }

    outcome.textContent = refusal(error);
    if (errorInfo(error).reason === "ALREADY_RESOLVED") {
      void loadExceptions();
    }
  } finally {
    busy(false);
  }
}

/** Why ResolvePayment refused, in the page's words: chosen by the ErrorInfo reason, never the server's text. */
function refusal(error: ConnectError): string {
  const info = errorInfo(error);
  switch (info.reason) {
    case "REFUND_NOT_FOUND":
      return "Not recorded: Bakong has no successful transfer with this hash. Check the hash on the refund's receipt.";
    case "REFUND_MISMATCH": {
      const words: Record<string, string> = {
        from_account_id: "it was not sent from the shop's account",
        to_account_id: "it was not sent to the payer's account",
        currency: "it is in another currency",
        amount: "it is less than the amount received",
      };
      const why = (info.metadata.get("mismatched_fields") ?? "")
        .split(",")
        .map((f) => words[f])
        .filter((w) => w);
      return "Not recorded: this transfer is not a refund of this payment" + (why.length ? ": " + why.join("; ") + "." : ".");
    }
    case "ALREADY_RESOLVED":
      return "Already resolved (" + (info.metadata.get("resolution") ?? "") + "), by another operator or an earlier try.";
    case "NOT_AN_EXCEPTION":
      return "Not resolved: the payment is still pending or no longer needs a person. Try again once it has an outcome.";
    case "BAKONG_UNAVAILABLE":
      return "Not recorded: Bakong could not be asked just now. Try again in a moment.";
    case "CONCURRENT_CHANGE":
      return "Not resolved: the payment changed meanwhile. Try again.";
  }

  switch (error.code) {
    case Code.InvalidArgument:
      return "Not resolved: the gateway refused the request (a refund's hash is 64 hex digits).";
    case Code.NotFound:
      return "Not resolved: the gateway has no such payment.";
    case Code.Unavailable:
    case Code.DeadlineExceeded:
      return "Not resolved: the gateway could not be reached. Try again.";
    default:
      return "Not resolved (" + (Code[error.code] ?? "error") + ").";
  }
}

/**
 * The google.rpc.ErrorInfo detail of an error (reason and metadata), decoded by hand: the page carries no
 * google.rpc messages, and these are two fields.
 */
function errorInfo(error: ConnectError): { reason: string; metadata: Map<string, string> } {
  const found = { reason: "", metadata: new Map<string, string>() };
  for (const detail of error.details) {
    if (!("type" in detail) || detail.type !== "google.rpc.ErrorInfo") {
      continue;
    }

    try {
      const reader = new BinaryReader(detail.value);
      while (reader.pos < reader.len) {
        const [field, wire] = reader.tag();
        if (field === 1 && wire === WireType.LengthDelimited) {
          found.reason = reader.string();
        } else if (field === 3 && wire === WireType.LengthDelimited) {
          const entry = new BinaryReader(reader.bytes());
          let key = "";
          let value = "";
          while (entry.pos < entry.len) {
            const [f, w] = entry.tag();
            if (f === 1 && w === WireType.LengthDelimited) {
              key = entry.string();
            } else if (f === 2 && w === WireType.LengthDelimited) {
              value = entry.string();
            } else {
              entry.skip(w);
            }
          }

          found.metadata.set(key, value);
        } else {
          reader.skip(wire);
        }
      }
    } catch {
      // a detail that does not decode names no reason
    }
  }

  return found;
}

// ---- Displays ----

/** Reads the displays' status. Read again every displayRefreshMs while any is configured. */
async function loadDisplays() {
  window.clearTimeout(displayTimer);
  try {
    const response = await displays.listDisplays({});
    const list = $("displays");
    const rows = response.displays.map((d) => {
      const existing = list.querySelector<HTMLLIElement>(`li[data-terminal-id="${CSS.escape(d.terminalId)}"]`);
      return existing ? updateDisplayRow(existing, d) : displayRow(d);
    });
    list.replaceChildren(...rows);
    $("displays-empty").hidden = rows.length > 0;
    if (rows.length > 0 && app.dataset.screen === "dashboard") {
      displayTimer = window.setTimeout(() => void loadDisplays(), displayRefreshMs);
    }
  } catch (e) {
    if (!refused(ConnectError.from(e))) {
      status("Displays: " + ConnectError.from(e).rawMessage);
    }
  }
}

function displayRow(d: Display): HTMLLIElement {
  const li = document.createElement("li");
  li.className = "display";
  li.dataset.terminalId = d.terminalId;
  const facts = element("div", "", "facts");
  const beep = element("button", "Test beep", "secondary");
  beep.type = "button";
  const answer = element("p", "", "answer");
  answer.setAttribute("role", "status");
  beep.addEventListener("click", () => void testBeep(d.terminalId, beep, answer));
  li.append(facts, beep, answer);
  return updateDisplayRow(li, d);
}

/** Fills a display's facts (the row, its button and its last answer stay). */
function updateDisplayRow(li: HTMLLIElement, d: Display): HTMLLIElement {
  const state = Display_LinkState[d.linkState] ?? "UNSPECIFIED";
  li.dataset.linkState = state;
  const fault = d.lastFault
    ? `Last fault: ${LinkFault_Kind[d.lastFault.kind] ?? "?"} ${d.lastFault.detail}` +
      (d.lastFault.time ? ` (${timestampDate(d.lastFault.time).toLocaleString()})` : "")
    : d.lastError
      ? "Last error: " + d.lastError
      : "No fault";
  li.querySelector(".facts")!.replaceChildren(
    element("span", d.terminalId, "terminal"),
    element("span", state, "state state-" + state),
    element("span", d.firmwareVersion ? "firmware " + d.firmwareVersion : "firmware unknown"),
    element("span", d.bootId ? "boot " + d.bootId.toString(16).padStart(8, "0") : ""),
    element("span", d.portName, "muted"),
    element("span", fault, "fault"),
  );
  return li;
}

/** Sends BEEP (one short beep) and shows the device's answer, or why there was none, in the page's words. */
async function testBeep(terminalId: string, button: HTMLButtonElement, answer: HTMLElement) {
  button.disabled = true;
  answer.textContent = "Beeping…";
  try {
    const response = await displays.sendDisplayCommand({
      terminalId,
      command: { case: "beep", value: { pattern: SendDisplayCommandRequest_BeepPattern.SHORT, repeat: 1 } },
    });
    const ack = response.answer.case === "ack" ? response.answer.value.result : Ack_Result.UNSPECIFIED;
    answer.textContent =
      ack === Ack_Result.OK ? "The display beeped (ACK OK)." : `The display refused: ${Ack_Result[ack] ?? "unknown answer"}.`;
  } catch (e) {
    const error = ConnectError.from(e);
    if (!refused(error)) {
      answer.textContent = displayRefusal(error);
    }
  } finally {
    button.disabled = false;
    void loadDisplays();
  }
}

function displayRefusal(error: ConnectError): string {
  switch (errorInfo(error).reason) {
    case "DISPLAY_NOT_FOUND":
      return "No display is configured for this terminal any more.";
    case "DISPLAY_NOT_ONLINE":
      return "Not sent: the display is not online.";
    case "DISPLAY_CANNOT_BEEP":
      return "Not sent: this display has no beeper.";
    case "DISPLAY_BUSY":
      return "Not sent: another test command for this display has no answer yet.";
    case "DISPLAY_NO_ANSWER":
      return "No answer from the display.";
  }

  return "Not sent (" + (Code[error.code] ?? "error") + ").";
}
