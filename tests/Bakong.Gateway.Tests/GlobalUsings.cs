// The contract's payment (Bakong.Grpc.Payments.V1.Payment) and the domain's share a name; the states are named apart.
global using PaymentEventType = Bakong.Payments.PaymentEventType;
global using PaymentState = Bakong.Payments.PaymentState;
global using State = Bakong.Grpc.Payments.V1.Payment.Types.State;
// The shared test support (tests/Bakong.Testing): host plumbing, the pass-through store, the observed clock.
global using Bakong.Testing;
