import { createHash } from 'node:crypto';
import { LANGS, pickLang, t, type Lang, type MessageKey } from '@aviso/i18n';

/**
 * The page an invite link (`<relay>/join#<payload>`) opens in a browser. The payload holds the
 * group's keys and lives in the fragment, which browsers never send; so the page must not run any
 * script that could read it, link to anything that could leak it (Referer), or load anything
 * remote. It has no script at all: the language comes from `?lang=` or Accept-Language, and the
 * switch is a plain link. Following that link drops the fragment (no link can keep it without
 * script), so the steps tell people to copy the link they were sent, not this page's address.
 */

const STYLE = [
  'body{font:1.05rem/1.5 system-ui,sans-serif;max-width:40rem;margin:0 auto;padding:1rem;color:#111;background:#fff}',
  'h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:1.6rem}',
  'nav{text-align:right}a{color:#0645ad}',
  'code,pre{font:0.95rem/1.4 ui-monospace,monospace;background:#f2f2f2}pre{padding:.6rem;overflow-x:auto;white-space:pre-wrap}',
  '.keep{border-left:4px solid #b00;padding-left:.6rem}',
].join('');

/** The one inline style, allowed by its hash: the CSP needs no 'unsafe-inline'. */
const STYLE_HASH = `sha256-${createHash('sha256').update(STYLE).digest('base64')}`;

/** Nothing but the inline style above: no script, no connection, no image, no form, no frame. */
export const JOIN_PAGE_CSP = ["default-src 'none'", `style-src '${STYLE_HASH}'`, "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'"].join('; ');

export const JOIN_PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy': JOIN_PAGE_CSP,
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cache-Control': 'no-store',
  Vary: 'Accept-Language',
};

/** `?lang=` when it names one of ours, else the best of Accept-Language by q, else Spanish. */
export function joinPageLang(query: string | undefined, acceptLanguage: string | undefined): Lang {
  if ((LANGS as readonly string[]).includes(query ?? '')) return query as Lang;
  const prefs = String(acceptLanguage ?? '')
    .slice(0, 512)
    .split(',')
    .map((part, i) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = Number(params.find((p) => p.trim().startsWith('q='))?.trim().slice(2) ?? '1');
      return { tag: tag.trim(), q: Number.isFinite(q) ? q : 0, i };
    })
    .filter((p) => p.tag !== '' && p.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  return pickLang(prefs.map((p) => p.tag));
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** The whole page in `lang`; the same bytes every time for a language (cached by the caller). */
export function renderJoinPage(lang: Lang): string {
  const tr = (key: MessageKey) => esc(t(lang, key));
  const other: Lang = lang === 'es' ? 'en' : 'es';
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${tr('join.title')}</title>
<style>${STYLE}</style>
</head>
<body>
<header><nav aria-label="${tr('join.lang.label')}"><a href="/join?lang=${other}" hreflang="${other}" lang="${other}" rel="noreferrer">${esc(t(other, 'join.lang.name'))}</a></nav></header>
<main>
<h1>${tr('join.title')}</h1>
<p>${tr('join.lead')}</p>
<p class="keep">${tr('join.keep')}</p>
<section aria-labelledby="app">
<h2 id="app">${tr('join.app.title')}</h2>
<ol>
<li>${tr('join.app.step1')}</li>
<li>${tr('join.app.step2')}</li>
<li>${tr('join.app.step3')}</li>
</ol>
</section>
<section aria-labelledby="cli">
<h2 id="cli">${tr('join.cli.title')}</h2>
<p>${tr('join.cli.step')}</p>
<pre><code>${tr('join.cli.command')}</code></pre>
</section>
<p>${tr('join.pending')}</p>
<section aria-labelledby="private">
<h2 id="private">${tr('join.private.title')}</h2>
<p>${tr('join.private.body')}</p>
</section>
</main>
</body>
</html>
`;
}
