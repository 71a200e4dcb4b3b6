// The operator dashboard at /admin: the Bakong token (days left, renew), today's totals per terminal (the settlement
// report of today), the latest payments (each pending one followed live with WatchPayment) and the recent failed
// Bakong calls. Everything goes through the admin and payment APIs over gRPC-Web with an operator's key.
// Pairing as the kiosk's: `bakong clients add --role operator --admin-url …` prints <gateway>/admin#key=<key>; the page
// keeps the key (localStorage), takes it out of the address bar and sends it as `authorization: Bearer`. A key can
// also be pasted into the form. The key is never shown again, and no server string is ever rendered as HTML
// (textContent only).
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { AdminService, type TokenStatus, TokenStatus_State } from "../gen/bakong/admin/v1/admin_service_pb";
import { PaymentService } from "../gen/bakong/payments/v1/payment_service_pb";
import { type Payment, Payment_State } from "../gen/bakong/payments/v1/payment_pb";

const keyStorage = "bakong.admin.key";
/** How many payments the list shows. */
const paymentCount = 20;
/**
 * The payment API has no stream of new payments yet (WatchTerminal is not on this gateway): the list is read again at
 * this interval to see new ones, while each pending payment on it is followed with WatchPayment.
 */
const listRefreshMs = 5000;

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

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const app = $("app");

/** The pending payments being watched, by id; aborted when the page unpairs or the payment leaves the list. */
const watches = new Map<string, AbortController>();
const shown = new Map<string, Payment>();
let listTimer: number | undefined;
let totalsQueued = false;

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

  void loadTotals();
  void loadErrors();
  void loadPayments();
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

  window.clearTimeout(listTimer);
  for (const w of watches.values()) {
    w.abort();
  }

  watches.clear();
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

async function loadPayments() {
  window.clearTimeout(listTimer);
  try {
    const response = await payments.listPayments({ pageSize: paymentCount });
    let changed = false;
    for (const p of response.payments) {
      changed = merge(p) || changed;
    }

    // Only the latest page stays; a payment that left it is no longer watched.
    const ids = new Set(response.payments.map((p) => p.paymentId));
    for (const id of [...shown.keys()]) {
      if (!ids.has(id)) {
        shown.delete(id);
        watches.get(id)?.abort();
        watches.delete(id);
      }
    }

    render();
    if (changed) {
      totalsChanged();
    }
  } catch (e) {
    if (refused(ConnectError.from(e))) {
      return;
    }

    status("Payments: " + ConnectError.from(e).rawMessage);
  }

  if (apiKey !== null || app.dataset.screen === "dashboard") {
    listTimer = window.setTimeout(() => void loadPayments(), listRefreshMs);
  }
}

/** Keeps the newer version of a payment; starts watching it while pending. True when something changed. */
function merge(p: Payment): boolean {
  const old = shown.get(p.paymentId);
  if (old && old.version >= p.version) {
    return false;
  }

  shown.set(p.paymentId, p);
  if (p.state === Payment_State.PENDING && !watches.has(p.paymentId)) {
    void watch(p);
  }

  return true;
}

async function watch(p: Payment) {
  const abort = new AbortController();
  watches.set(p.paymentId, abort);
  let after = p.version;
  try {
    for await (const message of payments.watchPayment({ paymentId: p.paymentId, afterVersion: after }, { signal: abort.signal })) {
      const payment = message.payment!;
      after = payment.version;
      if (merge(payment)) {
        render();
        totalsChanged();
      }
    }
  } catch (e) {
    if (!abort.signal.aborted) {
      refused(ConnectError.from(e));
    }
  } finally {
    // A stream that ended early is picked up again by the next list read (the payment is still pending there).
    if (watches.get(p.paymentId) === abort) {
      watches.delete(p.paymentId);
    }
  }
}

function render() {
  const list = [...shown.values()].sort((a, b) => Number((b.createTime?.seconds ?? 0n) - (a.createTime?.seconds ?? 0n)));
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
