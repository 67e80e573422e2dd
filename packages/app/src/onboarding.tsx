import type { Lang } from '@aviso/i18n';
import { useState } from 'preact/hooks';
import { api, ApiError } from './api.js';
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

export function Onboarding({ onDone }: { onDone: () => void }) {
  const { tr } = useT();
  const [invite, setInvite] = useState('');
  const [name, setName] = useState('');
  const [relay, setRelay] = useState('');
  const [regToken, setRegToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState('');
  const run = async (fn: () => Promise<string | undefined>) => {
    setBusy(true);
    setNote('');
    try {
      const msg = await fn();
      if (msg) setNote(msg);
      else onDone();
    } catch (err) {
      setNote(tr('app.error', { message: err instanceof ApiError ? err.message : String(err) }));
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
            return r.status === 'pending' ? tr('onboard.pending', { group: r.group }) : undefined;
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
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void run(async () => {
              await api.register(relay, regToken, name);
              return tr('onboard.registered');
            });
          }}
        >
          <label>
            {tr('onboard.relay')}
            <input required type="url" value={relay} onInput={(e) => setRelay(e.currentTarget.value)} />
          </label>
          <label>
            {tr('onboard.token')}
            <input required value={regToken} onInput={(e) => setRegToken(e.currentTarget.value)} autocomplete="off" />
          </label>
          <label>
            {tr('onboard.name')}
            <input maxLength={64} value={name} onInput={(e) => setName(e.currentTarget.value)} dir="auto" />
          </label>
          <button class="big" type="submit" disabled={busy}>
            {tr('onboard.register')}
          </button>
        </form>
      </details>
    </section>
  );
}
