import type { Settings } from './settings-store.js';

// How a new urgent or critical alert gets the member's attention: a browser notification and a
// synthesised sound. The notification says only the generic text ("Aviso: new alert"): phones and
// desktops keep notification logs, so a title, place or group name there outlives the alert.

let audio: AudioContext | undefined;

/** Two short falling tones, made with WebAudio: no sound file, nothing fetched. */
export function playAlertSound(): void {
  try {
    audio ??= new AudioContext();
    void audio.resume();
    const start = audio.currentTime + 0.02;
    for (const [i, freq] of [880, 660].entries()) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = 'square';
      osc.frequency.value = freq;
      const t = start + i * 0.25;
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(0.3, t + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.22);
      osc.connect(gain).connect(audio.destination);
      osc.start(t);
      osc.stop(t + 0.24);
    }
  } catch {
    // No audio device or no WebAudio: the title count and the board still tell.
  }
}

export function notificationsSupported(): boolean {
  return typeof Notification !== 'undefined';
}

/** Asks the browser for permission (only from a tap in Settings); true when granted. */
export async function askNotifications(): Promise<boolean> {
  if (!notificationsSupported()) return false;
  if (Notification.permission === 'granted') return true;
  return (await Notification.requestPermission()) === 'granted';
}

/** For each new alert from someone else: sound and notification when urgent or critical and switched on. */
export function announce(severity: string, settings: Settings, genericText: string): void {
  if (severity !== 'urgent' && severity !== 'critical') return;
  if (settings.sound) playAlertSound();
  if (settings.notify && notificationsSupported() && Notification.permission === 'granted') {
    try {
      // The generic text only, and one tag so a burst of alerts leaves one entry, not a list.
      new Notification(genericText, { tag: 'aviso-alert' });
    } catch {
      // Some browsers allow notifications only from a service worker: the sound and title still tell.
    }
  }
}
