// Receiving the parcel and inspecting each item (returns:manage).

export async function inspectSection(_ret, _ctx) {
  return null;
}
