// The refund: the default or a custom one, with its breakdown before confirming.

export async function refundSection(_ret, _ctx) {
  return null;
}
