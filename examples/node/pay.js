// Create a payment, watch it, have the sandbox pay it, print the result. Node 18+ with @grpc/grpc-js.
// BAKONG_GRPC=127.0.0.1:5080 BAKONG_WEB=http://127.0.0.1:5081 [BAKONG_KEY=bk_...] node pay.js
const path = require("node:path");
const grpc = require("@grpc/grpc-js");
const protoLoader = require("@grpc/proto-loader");

const root = path.resolve(__dirname, "../..");
const definition = protoLoader.loadSync("bakong/payments/v1/payment_service.proto", {
  includeDirs: [path.join(root, "protos"), path.join(root, "third_party/googleapis")],
  longs: Number, enums: String, defaults: true,
});
const { PaymentService } = grpc.loadPackageDefinition(definition).bakong.payments.v1;

const server = process.env.BAKONG_GRPC || "127.0.0.1:5080";
const web = process.env.BAKONG_WEB || "http://127.0.0.1:5081";
const client = new PaymentService(server, grpc.credentials.createInsecure());

// The API key goes in every call's metadata (a Sandbox gateway on loopback needs none).
const metadata = new grpc.Metadata();
if (process.env.BAKONG_KEY) metadata.set("authorization", `Bearer ${process.env.BAKONG_KEY}`);

const call = (method, request) =>
  new Promise((resolve, reject) => client[method](request, metadata, (e, r) => (e ? reject(e) : resolve(r))));

async function main() {
  // Retrying with the same request_id is safe: the gateway returns the same payment, never a second QR.
  const { payment } = await call("CreatePayment", {
    requestId: `node-example-${Date.now()}`, terminalId: "POS-01", orderRef: "INV-NODE-1",
    amount: { currencyCode: "KHR", units: 4000 },
  });
  console.log(`created ${payment.paymentId}: ${payment.amount.units} ${payment.amount.currencyCode}, show this QR: ${payment.khqr}`);

  const final = await new Promise((resolve, reject) => {
    const watch = client.watchPayment({ paymentId: payment.paymentId }, metadata);
    let paid = false;
    watch.on("data", async ({ payment: p }) => {
      console.log(`watch: ${p.state} (version ${p.version})`);
      if (p.state === "STATE_PENDING" && !paid) {
        paid = true; // play the customer: the sandbox's control API pays the QR
        const r = await fetch(`${web}/sandbox/control/pay`, {
          method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ qr: p.khqr }),
        });
        if (!r.ok) reject(new Error(`sandbox pay: HTTP ${r.status}`));
      } else if (p.state !== "STATE_PENDING") resolve(p);
    });
    watch.on("error", reject);
  });
  console.log(`result: ${final.state}`);
  client.close();
  process.exit(final.state === "STATE_PAID" ? 0 : 2);
}

main().catch((e) => { console.error(`error: ${e.message}`); process.exit(1); });
