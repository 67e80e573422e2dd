// Other people's text is shown as text (never markup) and, besides the bidi isolation each element
// gets (dir="auto", <bdi>), loses the controls that would reorder or hide what it says: bidi
// overrides and embeddings, and C0/C1 control characters (terminal escapes), newlines kept.
// eslint-disable-next-line no-control-regex -- these characters are what is removed
const UNSAFE = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;

export function plain(text: string | undefined): string {
  return (text ?? '').replace(UNSAFE, '');
}
