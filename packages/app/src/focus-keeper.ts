/**
 * Live updates change screens under the user's hands: a request approved by another organiser, a
 * member removed, an alert retracted. When the element that had focus goes away with them, the
 * browser drops focus to the document, and a keyboard or screen-reader user's next Tab starts over
 * from the top of the page. This puts focus on the screen's content instead (`fallback`, the
 * `<main>` element), which is where a new screen starts them too.
 */
export function keepFocus(root: Node, fallback: () => HTMLElement | null): () => void {
  let last: Element | null = null;
  const onFocus = (e: FocusEvent) => {
    last = e.target instanceof Element ? e.target : null;
  };
  document.addEventListener('focusin', onFocus);
  const observer = new MutationObserver(() => {
    const lost = document.activeElement === null || document.activeElement === document.body;
    if (last === null || last.isConnected || !lost) return;
    last = null;
    // Where the user was on the page stays on screen: only focus moves.
    fallback()?.focus({ preventScroll: true });
  });
  observer.observe(root, { childList: true, subtree: true });
  return () => {
    observer.disconnect();
    document.removeEventListener('focusin', onFocus);
  };
}
