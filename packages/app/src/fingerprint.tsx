import type { MessageKey } from '@aviso/i18n';
import { useEffect, useRef } from 'preact/hooks';
import { ApiError, type Fingerprint } from './api.js';
import { useT } from './i18n.js';
import { plain } from './text.js';

/**
 * A relay fingerprint as people compare it: the 4 lines of 4 groups the host sends (formatted once,
 * in @aviso/protocol, the same as `aviso-relay info` prints). A list, so a screen reader reads it
 * group by group; monospace and left to right whatever the page's direction.
 */
export function FingerprintLines({ fingerprint }: { fingerprint: Fingerprint }) {
  const { tr } = useT();
  return (
    <ol class="fingerprint" dir="ltr" aria-label={tr('fp.digits')}>
      {fingerprint.lines.map((line, i) => (
        <li key={i}>
          <code>{line}</code>
        </li>
      ))}
    </ol>
  );
}

/** "Relay address: <url>", the address isolated as text from elsewhere (the user typed or pasted it). */
function RelayAddress({ relayUrl }: { relayUrl: string }) {
  const { tr } = useT();
  const [before, after] = tr('fp.relay', { url: '\u0000' }).split('\u0000');
  return (
    <p>
      {before}
      <bdi class="url">{plain(relayUrl)}</bdi>
      {after}
    </p>
  );
}

/**
 * The register path's second step, like SSH's first-connect prompt: the fingerprint of the relay
 * just asked, the instruction to compare it, "It matches, register" and a way back. Registration
 * sends these digits back, so the host pins this trust root or nothing.
 */
export function RelayCheck({ relayUrl, fingerprint, busy, onConfirm, onBack }: { relayUrl: string; fingerprint: Fingerprint; busy: boolean; onConfirm: () => void; onBack: () => void }) {
  const { tr } = useT();
  // The form that was focused is gone: start keyboard and screen-reader users at this step's heading.
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <section aria-labelledby="fp-title" class="card">
      <h2 id="fp-title" tabIndex={-1} ref={heading}>
        {tr('fp.title')}
      </h2>
      <RelayAddress relayUrl={relayUrl} />
      <FingerprintLines fingerprint={fingerprint} />
      <p class="compare">
        <strong>{tr('fp.compare')}</strong>
      </p>
      <button class="big primary" type="button" disabled={busy} onClick={onConfirm}>
        {busy ? tr('fp.registering') : tr('fp.matches')}
      </button>
      <button class="big" type="button" disabled={busy} onClick={onBack}>
        {tr('app.back')}
      </button>
    </section>
  );
}

/** After joining through an invite: the SDK refused any relay whose trust root is not the invite's. */
export function RelayChecked({ fingerprint, onDismiss }: { fingerprint: Fingerprint; onDismiss: () => void }) {
  const { tr } = useT();
  return (
    <section class="card checked" aria-labelledby="fp-checked" role="status">
      <p id="fp-checked">
        <span aria-hidden="true">✓ </span>
        {tr('fp.invite.checked')}
      </p>
      <details>
        <summary>{tr('fp.invite.show')}</summary>
        <FingerprintLines fingerprint={fingerprint} />
      </details>
      <button class="small" type="button" onClick={onDismiss}>
        {tr('fp.dismiss')}
      </button>
    </section>
  );
}

/** Settings: the fingerprint of the relay this profile pinned. */
export function PinnedRelay({ relayUrl, fingerprint }: { relayUrl: string | undefined; fingerprint: Fingerprint }) {
  const { tr } = useT();
  return (
    <section id="settings-relay" aria-labelledby="settings-relay-title">
      <h2 id="settings-relay-title">{tr('fp.settings.title')}</h2>
      <p class="hint">{tr('fp.settings.note')}</p>
      {relayUrl && <RelayAddress relayUrl={relayUrl} />}
      <FingerprintLines fingerprint={fingerprint} />
    </section>
  );
}

/** The words for a failed check or registration on this path; other errors keep the host's message. */
export function fingerprintProblem(err: unknown): MessageKey | undefined {
  if (!(err instanceof ApiError)) return undefined;
  if (err.code === 'FINGERPRINT_MISMATCH') return 'fp.mismatch';
  if (err.code === 'RELAY_BAD_RESPONSE') return 'fp.notRelay';
  if (err.code === 'RELAY_DOWN') return 'fp.down';
  return undefined;
}
