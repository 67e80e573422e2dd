import type { Lang } from '@aviso/i18n';
import { useState } from 'preact/hooks';
import type { Profile } from './api.js';
import { PinnedRelay } from './fingerprint.js';
import { useT } from './i18n.js';
import { LockSettings } from './lock.js';
import { askNotifications, notificationsSupported, playAlertSound } from './notify.js';
import type { Settings } from './settings-store.js';

/** An on/off switch: a real button (keyboard, 44 px), its state said by word as well as by aria-checked. */
function Switch({ id, label, on, onToggle }: { id: string; label: string; on: boolean; onToggle: () => void }) {
  const { tr } = useT();
  return (
    <div class="setting">
      <span id={`${id}-label`}>{label}</span>
      <button id={id} role="switch" aria-checked={on} aria-labelledby={`${id}-label`} class={`switch ${on ? 'on' : ''}`} onClick={onToggle}>
        {on ? tr('settings.on') : tr('settings.off')}
      </button>
    </div>
  );
}

export function SettingsScreen({ lang, setLang, settings, setSettings, profile, onLocked, onWiped }: { lang: Lang; setLang: (l: Lang) => void; settings: Settings; setSettings: (s: Settings) => void; profile: Profile; onLocked: () => void; onWiped: () => void }) {
  const { tr } = useT();
  const [note, setNote] = useState('');
  return (
    <section aria-labelledby="settings-title">
      <h1 id="settings-title">{tr('settings.title')}</h1>
      <h2>{tr('settings.language')}</h2>
      <div class="acks">
        {(['es', 'en'] as const).map((l) => (
          <button key={l} class={`big ${lang === l ? 'chosen' : ''}`} lang={l} aria-pressed={lang === l} onClick={() => setLang(l)}>
            {tr(`lang.${l}`)}
          </button>
        ))}
      </div>
      <Switch id="setting-sound" label={tr('settings.sound')} on={settings.sound} onToggle={() => setSettings({ ...settings, sound: !settings.sound })} />
      <button class="small" onClick={playAlertSound}>
        {tr('settings.test')}
      </button>
      <Switch
        id="setting-notify"
        label={tr('settings.notify')}
        on={settings.notify}
        onToggle={() => {
          if (settings.notify) return setSettings({ ...settings, notify: false });
          if (!notificationsSupported()) return setNote(tr('settings.notifyUnsupported'));
          void askNotifications().then((granted) => {
            if (granted) {
              setNote('');
              setSettings({ ...settings, notify: true });
            } else setNote(tr('settings.notifyDenied'));
          });
        }}
      />
      <p class="hint">{tr('settings.notifyNote')}</p>
      {note && (
        <p role="status" class="note">
          {note}
        </p>
      )}
      {profile.relayFingerprint && <PinnedRelay relayUrl={profile.relayUrl} fingerprint={profile.relayFingerprint} />}
      <section id="settings-lock" aria-labelledby="settings-lock-title">
        <h2 id="settings-lock-title">{tr('settings.lock')}</h2>
        <p class="hint">{tr('settings.lockNote')}</p>
        <LockSettings profile={profile} onLocked={onLocked} onWiped={onWiped} />
      </section>
    </section>
  );
}
