/**
 * Layout and language checks measured in the real DOM of the app: what sticks out past the viewport,
 * which touch targets are smaller than 44 px, and which visible words are not the catalog's.
 * The checks run in the page as plain scripts (this package's TypeScript has no DOM types).
 */
import type { Page } from 'playwright-core';

/** Elements wider than the viewport (or the page scrolling sideways), as "tag.class left..right" lines. */
export async function overflowing(p: Page): Promise<string[]> {
  return (await p.evaluate(`(() => {
    const width = document.documentElement.clientWidth;
    const out = [];
    if (document.documentElement.scrollWidth > width) out.push('page scrolls sideways: ' + document.documentElement.scrollWidth + ' > ' + width);
    for (const el of document.querySelectorAll('body *')) {
      if (el.closest('.skip, .sr-only')) continue; // placed off-screen on purpose
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      if (r.right > width + 1 || r.left < -1) out.push(el.tagName.toLowerCase() + '.' + el.className + ' ' + Math.round(r.left) + '..' + Math.round(r.right) + ' of ' + width);
    }
    return out;
  })()`)) as string[];
}

/** Visible buttons, links and fields under 44 × 44 CSS px (WCAG 2.5.5), one line each. */
export async function smallTargets(p: Page): Promise<string[]> {
  return (await p.evaluate(`(() => {
    const out = [];
    for (const el of document.querySelectorAll('button, a[href], input, select, textarea, [role=switch], [tabindex="0"]')) {
      if (el.closest('.skip')) continue; // shown only while focused (measured then)
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      if (r.width < 44 || r.height < 44) out.push(el.tagName.toLowerCase() + ' "' + (el.textContent || '').trim().slice(0, 30) + '" ' + Math.round(r.width) + 'x' + Math.round(r.height));
    }
    return out;
  })()`)) as string[];
}

/**
 * The visible text runs of the page that are ours, not other people's: text inside a bidi island
 * (dir="auto", <bdi>), <code> and the safety digits is someone's data, and icons are hidden from
 * screen readers (aria-hidden): both are left out.
 */
export async function ownTexts(p: Page): Promise<string[]> {
  return (await p.evaluate(`(() => {
    const out = new Set();
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      const text = (n.textContent || '').trim();
      if (!el || !/\\p{L}/u.test(text)) continue;
      if (el.closest('[dir="auto"], bdi, code, .digits, [aria-hidden="true"], script, style')) continue; // data, and icons
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0 && !el.closest('.sr-only')) continue;
      out.add(text);
    }
    return [...out];
  })()`)) as string[];
}

/** Presses Tab until the focused element matches `selector` and contains `text` (at most 60 times). */
export async function tabTo(p: Page, selector: string, text: string): Promise<void> {
  for (let i = 0; i < 60; i++) {
    await p.keyboard.press('Tab');
    const hit = (await p.evaluate(`(() => { const el = document.activeElement; return !!el && el.matches(${JSON.stringify(selector)}) && (el.textContent || '').includes(${JSON.stringify(text)}); })()`)) as boolean;
    if (hit) return;
  }
  throw new Error(`Tab never reached ${selector} "${text}"`);
}

/** The height of the focused element in CSS px (0 when nothing is focused). */
export async function focusedHeight(p: Page): Promise<number> {
  return (await p.evaluate(`(document.activeElement ? document.activeElement.getBoundingClientRect().height : 0)`)) as number;
}
