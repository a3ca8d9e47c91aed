// A copy of a string that shares no memory with the text it was cut from. V8 keeps a substring of 13 or more
// characters as a slice of its parent, so a header parameter kept for the 64*T1 of a wait state (a To tag, a
// branch) would keep the whole message text alive with it. For values kept long; not for the hot path.
export function ownedString(s: string): string {
  return s.length < 13 ? s : (JSON.parse(JSON.stringify(s)) as string);
}
