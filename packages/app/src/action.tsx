import { useState } from 'preact/hooks';
import { ApiError } from './api.js';
import { useT } from './i18n.js';

/** One organiser action at a time: busy while it runs, then a status line (done, or the host's error). */
export function useAction(): { busy: boolean; status: string; run: (fn: () => Promise<unknown>, done: string) => Promise<boolean> } {
  const { tr } = useT();
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState('');
  const run = async (fn: () => Promise<unknown>, done: string): Promise<boolean> => {
    setBusy(true);
    setStatus('');
    try {
      await fn();
      setStatus(done);
      return true;
    } catch (err) {
      setStatus(tr('app.error', { message: err instanceof ApiError ? err.message : String(err) }));
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, status, run };
}

export function Status({ text }: { text: string }) {
  if (!text) return null;
  return (
    <p role="status" class="note" dir="auto">
      {text}
    </p>
  );
}
