// node --test: the retry and key helpers against a stand-in client (no gateway needed; the examples run against one).
import { test } from "node:test";
import assert from "node:assert/strict";
import { Code, ConnectError } from "@connectrpc/connect";
import { apiKey, createPaymentWithRetry } from "../dist/index.js";

const request = { requestId: "INV-1-try-1", terminalId: "POS-01", amount: { currencyCode: "KHR", units: 4000n } };

function standIn(...answers) {
  const calls = [];
  return {
    calls,
    createPayment: async (message) => {
      calls.push(message);
      const answer = answers.shift();
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
}

test("a call whose outcome is unknown is sent again unchanged after a doubling wait", async () => {
  const client = standIn(new ConnectError("down", Code.Unavailable), new ConnectError("slow", Code.DeadlineExceeded), { payment: { paymentId: "p-1" } });
  const waits = [];
  const response = await createPaymentWithRetry(client, request, { sleep: async (ms) => waits.push(ms) });
  assert.equal(response.payment.paymentId, "p-1");
  assert.deepEqual(waits, [250, 500]);
  assert.equal(client.calls.length, 3);
  for (const call of client.calls) assert.equal(call.requestId, "INV-1-try-1");
});

test("an error that is an answer is thrown at once", async () => {
  const client = standIn(new ConnectError("taken", Code.AlreadyExists));
  await assert.rejects(createPaymentWithRetry(client, request, { sleep: async () => {} }), (e) => e.code === Code.AlreadyExists);
  assert.equal(client.calls.length, 1);
});

test("a request without a request id is refused before any call", async () => {
  const client = standIn();
  await assert.rejects(createPaymentWithRetry(client, { terminalId: "POS-01" }), /requestId/);
  assert.equal(client.calls.length, 0);
});

test("the key goes in the authorization header", async () => {
  const header = new Headers();
  await apiKey("bk_abc_secret")(async (req) => req)({ header });
  assert.equal(header.get("authorization"), "Bearer bk_abc_secret");
  assert.throws(() => apiKey("bk\r\nx: 1"));
});
