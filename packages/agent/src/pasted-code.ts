/**
 * An invite code or link as people paste it: chat apps and mail wrap a long link over two or three
 * lines, and copying from a terminal adds spaces at the wrap. Neither form of a code ever contains
 * whitespace (the payload is base64url, the link a URL), so every ASCII space, tab and line break is
 * dropped before parsing. The SDK's `parseInviteCode` stays strict (the spec's vectors reject
 * whitespace inside a code): this is the input layer's job, shared by the CLI and the app.
 * Other characters are left alone, so a code damaged in some other way still fails to parse.
 */
export function pastedInviteCode(text: string): string {
  return text.replace(/[\t\n\v\f\r ]+/g, '');
}
