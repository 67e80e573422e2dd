import { useState } from 'preact/hooks';
import { ApiError, api, type Profile } from './api.js';
import { useT } from './i18n.js';

/** The unlock screen of a passphrase-protected profile. The typed passphrase lives only in this field's state until sent. */
export function UnlockScreen({ name, onUnlocked, onWiped }: { name: string | undefined; onUnlocked: () => void; onWiped: () => void }) {
  const { tr } = useT();
  const [passphrase, setPassphrase] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const submit = (e: Event) => {
    e.preventDefault();
    if (busy || passphrase === '') return;
    setBusy(true);
    setError('');
    api.unlock(passphrase).then(
      () => {
        setPassphrase('');
        setBusy(false);
        onUnlocked();
      },
      (err: unknown) => {
        setPassphrase('');
        setBusy(false);
        const code = err instanceof ApiError ? err.code : '';
        setError(code === 'WRONG_PASSPHRASE' ? tr('lock.wrong') : code === 'RATE_LIMITED' ? tr('lock.tooMany') : tr('app.error', { message: err instanceof Error ? err.message : String(err) }));
      },
    );
  };
  return (
    <section aria-labelledby="lock-title" id="unlock">
      <h1 id="lock-title">{tr('lock.title')}</h1>
      <p>{tr('lock.intro')}</p>
      <form onSubmit={submit}>
        <label for="unlock-passphrase">{tr('lock.passphrase')}</label>
        <input id="unlock-passphrase" type="password" autocomplete="current-password" required value={passphrase} onInput={(e) => setPassphrase((e.target as HTMLInputElement).value)} aria-describedby={error ? 'unlock-error' : undefined} />
        <button class="big" type="submit" disabled={busy}>
          {busy ? tr('lock.unlocking') : tr('lock.unlock')}
        </button>
      </form>
      {error && (
        <p id="unlock-error" role="alert" class="note">
          {error}
        </p>
      )}
      {name !== undefined && <WipeProfile name={name} onWiped={onWiped} />}
    </section>
  );
}

/** Settings: the idle time and "Lock now" (a lockable profile), and the wipe button with its typed confirmation. */
export function LockSettings({ profile, onLocked, onWiped }: { profile: Profile; onLocked: () => void; onWiped: () => void }) {
  const { tr } = useT();
  const [minutes, setMinutes] = useState(String(profile.idleMinutes ?? 15));
  const [note, setNote] = useState('');
  const fail = (err: unknown) => setNote(tr('app.error', { message: err instanceof Error ? err.message : String(err) }));
  if (!profile.lockable) return <p class="hint">{tr('lock.plain')}</p>;
  return (
    <>
      <form
        class="setting"
        onSubmit={(e) => {
          e.preventDefault();
          api.lockIdle(Number(minutes)).then((r) => setNote(tr('lock.idleSaved', { minutes: r.minutes })), fail);
        }}
      >
        <label for="lock-idle">{tr('lock.idle')}</label>
        <input id="lock-idle" type="number" inputMode="numeric" min={1} max={1440} step={1} required value={minutes} onInput={(e) => setMinutes((e.target as HTMLInputElement).value)} />
        <button class="small" type="submit">
          {tr('lock.idleSave')}
        </button>
      </form>
      <button class="big" id="lock-now" onClick={() => api.lock().then(onLocked, fail)}>
        {tr('lock.now')}
      </button>
      {note && (
        <p role="status" class="note">
          {note}
        </p>
      )}
      {profile.profile !== undefined && <WipeProfile name={profile.profile} onWiped={onWiped} />}
    </>
  );
}

/**
 * "Wipe this profile", with its typed confirmation: in settings, and on the unlock screen, because a
 * panic wipe must not need the passphrase (the host accepts `/api/wipe` while locked; docs/app.md).
 */
function WipeProfile({ name, onWiped }: { name: string; onWiped: () => void }) {
  const { tr } = useT();
  const [confirming, setConfirming] = useState(false);
  const [typed, setTyped] = useState('');
  const [note, setNote] = useState('');
  const fail = (err: unknown) => setNote(tr('app.error', { message: err instanceof Error ? err.message : String(err) }));
  return (
    <section id="wipe" aria-labelledby="wipe-title">
      <h2 id="wipe-title">{tr('wipe.title')}</h2>
      <p class="hint">{tr('wipe.note')}</p>
      {!confirming ? (
        <button class="danger" onClick={() => setConfirming(true)}>
          {tr('wipe.start')}
        </button>
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (typed !== name) return;
            api.wipe(typed).then(onWiped, fail);
          }}
        >
          <label for="wipe-confirm">
            {tr('wipe.confirmLabel')}{' '}
            <bdi>{name}</bdi>
          </label>
          <input id="wipe-confirm" type="text" autocomplete="off" value={typed} onInput={(e) => setTyped((e.target as HTMLInputElement).value)} />
          <button class="danger" type="submit" disabled={typed !== name}>
            {tr('wipe.confirm')}
          </button>
          <button
            class="small"
            type="button"
            onClick={() => {
              setConfirming(false);
              setTyped('');
            }}
          >
            {tr('wipe.cancel')}
          </button>
        </form>
      )}
      {note && (
        <p role="alert" class="note">
          {note}
        </p>
      )}
    </section>
  );
}
