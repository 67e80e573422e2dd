// The member's own choices for this browser, kept in localStorage (never sent to the host): whether
// urgent and critical alerts make a sound and show a notification.
const KEY = 'aviso.settings';

export interface Settings {
  sound: boolean;
  notify: boolean;
}

const DEFAULTS: Settings = { sound: true, notify: false };

export function loadSettings(): Settings {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) ?? '{}') as Partial<Record<keyof Settings, unknown>>;
    return { sound: typeof v.sound === 'boolean' ? v.sound : DEFAULTS.sound, notify: typeof v.notify === 'boolean' ? v.notify : DEFAULTS.notify };
  } catch {
    return { ...DEFAULTS };
  }
}

export function saveSettings(s: Settings): void {
  localStorage.setItem(KEY, JSON.stringify(s));
}
