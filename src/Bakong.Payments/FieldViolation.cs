namespace Bakong.Payments;

/// <summary>
/// One bad input field, named as the public API names it (<c>amount</c>, <c>request_id</c>), and what is wrong with
/// it. The gateway turns a list of these into a <c>google.rpc.BadRequest</c>.
/// </summary>
public sealed record FieldViolation(string Field, string Description);
