// a=accept-types matching (RFC 4975 §8.6): `*` accepts anything, `type/*` a whole top-level type.

/** The media type of a Content-Type value, lower-cased, without parameters. */
export function mediaTypeOf(contentType: string): string {
  return contentType.split(';')[0]!.trim().toLowerCase();
}

export function isAcceptedType(contentType: string, acceptTypes: readonly string[]): boolean {
  const media = mediaTypeOf(contentType);
  const slash = media.indexOf('/');
  const top = slash > 0 ? media.slice(0, slash) : media;
  for (const raw of acceptTypes) {
    const a = mediaTypeOf(raw);
    if (a === '*' || a === '*/*' || a === media) return true;
    if (a.endsWith('/*') && a.slice(0, -2) === top) return true;
  }
  return false;
}
