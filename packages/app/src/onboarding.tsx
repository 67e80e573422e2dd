import type { Lang } from '@aviso/i18n';
import { useState } from 'preact/hooks';
import { api, ApiError, type Fingerprint } from './api.js';
import { fingerprintProblem, RelayCheck } from './fingerprint.js';
import { useT } from './i18n.js';

export function LanguageChoice({ onPick }: { onPick: (lang: Lang) => void }) {
  const { tr } = useT();
  return (
    <section aria-labelledby="lang-title" class="center">
      <h1 id="lang-title">{tr('lang.title')}</h1>
      <button class="big primary" lang="es" onClick={() => onPick('es')}>
        {tr('lang.es')}
      </button>
      <button class="big primary" lang="en" onClick={() => onPick('en')}>
        {tr('lang.en')}
      </button>
    </section>
  );
}

/** `onDone` gets the pinned relay's fingerprint after a join through an invite (checked against it). */
export function Onboarding({ onDone }: { onDone: (joined?: Fingerprint) => void }) {
  const { tr } = useT();
  const [invite, setInvite] = useState('');
  const [name, setName] = useState('');
  const [relay, setRelay] = useState('');
  const [regToken, setRegToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState('');
  // The register path's second step: the fingerprint of the relay at the address typed, to compare.
  const [checked, setChecked] = useState<{ relayUrl: string; fingerprint: Fingerprint }>();
  const run = async (fn: () => Promise<string | undefined | Fingerprint>) => {
    setBusy(true);
    setNote('');
    try {
      const msg = await fn();
      if (typeof msg === 'string') setNote(msg);
      else onDone(msg);
    } catch (err) {
      const problem = fingerprintProblem(err);
      setNote(problem ? tr(problem) : tr('app.error', { message: err instanceof ApiError ? err.message : String(err) }));
      // A relay that changed its fingerprint since the check: back to the address, nothing pinned.
      if (err instanceof ApiError && err.code === 'FINGERPRINT_MISMATCH') setChecked(undefined);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="onboard-title">
      <h1 id="onboard-title">{tr('onboard.title')}</h1>
      <p>{tr('onboard.intro')}</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () => {
            const r = await api.join(invite, name);
            return r.status === 'pending' ? tr('onboard.pending', { group: r.group }) : r.relayFingerprint;
          });
        }}
      >
        <label>
          {tr('onboard.invite')}
          <textarea required rows={3} value={invite} onInput={(e) => setInvite(e.currentTarget.value)} autocomplete="off" spellcheck={false} />
        </label>
        <label>
          {tr('onboard.name')}
          <input required maxLength={64} value={name} onInput={(e) => setName(e.currentTarget.value)} dir="auto" />
        </label>
        <button class="big primary" type="submit" disabled={busy}>
          {busy ? tr('onboard.joining') : tr('onboard.join')}
        </button>
      </form>
      {note && (
        <p role="status" class="note" dir="auto">
          {note}
        </p>
      )}
      <details>
        <summary>{tr('onboard.register.title')}</summary>
        <p>{tr('onboard.or')}</p>
        {checked ? (
          <RelayCheck
            relayUrl={checked.relayUrl}
            fingerprint={checked.fingerprint}
            busy={busy}
            onBack={() => {
              setChecked(undefined);
              setNote('');
            }}
            onConfirm={() =>
              void run(async () => {
                await api.register(checked.relayUrl, regToken, name, checked.fingerprint.sha256Hex);
                setChecked(undefined);
                return tr('onboard.registered');
              })
            }
          />
        ) : (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              void run(async () => {
                const f = await api.relayFingerprint(relay);
                setChecked({ relayUrl: f.relayUrl, fingerprint: f });
                return '';
              });
            }}
          >
            <label>
              {tr('onboard.relay')}
              <input required type="url" maxLength={2048} value={relay} onInput={(e) => setRelay(e.currentTarget.value)} />
            </label>
            <label>
              {tr('onboard.token')}
              <input required maxLength={512} value={regToken} onInput={(e) => setRegToken(e.currentTarget.value)} autocomplete="off" />
            </label>
            <label>
              {tr('onboard.name')}
              <input maxLength={64} value={name} onInput={(e) => setName(e.currentTarget.value)} dir="auto" />
            </label>
            <button class="big" type="submit" disabled={busy}>
              {busy ? tr('fp.checking') : tr('fp.check')}
            </button>
          </form>
        )}
      </details>
    </section>
  );
}
