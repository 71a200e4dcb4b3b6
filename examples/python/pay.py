"""Create a payment, watch it, have the sandbox pay it, print the result. Debian's python3-grpcio and python3-protobuf.

The message classes come from protoc (Debian's protobuf-compiler); run.sh makes them in a temp folder:
  BAKONG_GRPC=127.0.0.1:5080 BAKONG_WEB=http://127.0.0.1:5081 [BAKONG_KEY=bk_...] ./run.sh
"""
import json
import os
import sys
import time
import urllib.request

import grpc
from bakong.payments.v1 import payment_pb2, payment_service_pb2 as api

SERVICE = "/bakong.payments.v1.PaymentService/"
server = os.environ.get("BAKONG_GRPC", "127.0.0.1:5080")
web = os.environ.get("BAKONG_WEB", "http://127.0.0.1:5081")
# The API key goes in every call's metadata (a Sandbox gateway on loopback needs none).
metadata = [("authorization", "Bearer " + os.environ["BAKONG_KEY"])] if os.environ.get("BAKONG_KEY") else []

channel = grpc.insecure_channel(server)
create = channel.unary_unary(SERVICE + "CreatePayment", request_serializer=api.CreatePaymentRequest.SerializeToString,
                             response_deserializer=api.CreatePaymentResponse.FromString)
watch = channel.unary_stream(SERVICE + "WatchPayment", request_serializer=api.WatchPaymentRequest.SerializeToString,
                             response_deserializer=api.WatchPaymentResponse.FromString)

# Retrying with the same request_id is safe: the gateway returns the same payment, never a second QR.
request = api.CreatePaymentRequest(request_id="python-example-%d" % time.time_ns(), terminal_id="POS-01",
                                   order_ref="INV-PY-1")
request.amount.currency_code, request.amount.units = "KHR", 4000
payment = create(request, metadata=metadata, timeout=10).payment
print("created %s: %d %s, show this QR: %s" % (payment.payment_id, payment.amount.units, payment.amount.currency_code, payment.khqr))

State = payment_pb2.Payment.State
paid = False
for change in watch(api.WatchPaymentRequest(payment_id=payment.payment_id), metadata=metadata, timeout=120):
    state = State.Name(change.payment.state)
    print("watch: %s (version %d)" % (state, change.payment.version))
    if change.payment.state == State.STATE_PENDING and not paid:
        paid = True  # play the customer: the sandbox's control API pays the QR
        body = json.dumps({"qr": change.payment.khqr}).encode()
        urllib.request.urlopen(urllib.request.Request(web + "/sandbox/control/pay", body, {"Content-Type": "application/json"}))
    elif change.payment.state != State.STATE_PENDING:
        print("result: " + state)
        sys.exit(0 if change.payment.state == State.STATE_PAID else 2)
sys.exit("error: the watch ended before a result")
