import { age, dateTime, until, type MessageKey } from '@aviso/i18n';
import { useState } from 'preact/hooks';
import { api, ApiError, type AlertView, type GroupView } from './api.js';
import { useT } from './i18n.js';
import { plain } from './text.js';

// Severity is said three ways: the word, an icon (shape differs) and a colour.
const ICON = { critical: '⛔', urgent: '⚠️', info: 'ℹ️' } as const;
const KINDS = ['raid', 'checkpoint', 'sighting', 'patrol', 'other'] as const;
const KIND_ICON: Record<string, string> = { raid: '🚨', checkpoint: '🚧', sighting: '👀', patrol: '🚓', other: '❗' };
const ACKS = ['seen', 'on-my-way', 'on-scene', 'cannot'] as const;

function Severity({ level }: { level: AlertView['severity'] }) {
  const { tr } = useT();
  return (
    <span class={`sev sev-${level}`}>
      <span aria-hidden="true">{ICON[level]}</span> {tr(`severity.${level}`)}
    </span>
  );
}

function kindLabel(tr: ReturnType<typeof useT>['tr'], kind: string): string {
  return (KINDS as readonly string[]).includes(kind) ? tr(`kind.${kind}` as MessageKey) : kind;
}

function Sender({ a }: { a: AlertView }) {
  const { tr } = useT();
  const role = a.fromRole === 'admin' || a.fromRole === 'member' ? tr(`role.${a.fromRole}`) : undefined;
  const name = a.fromName ?? tr('board.unknownSender');
  // The name is someone else's text: its own bidi island, rendered as text.
  const [before, after] = (role ? tr('board.fromRole', { name: '\u0000', role }) : tr('board.from', { name: '\u0000' })).split('\u0000');
  return (
    <span>
      {before}
      <bdi>{plain(name)}</bdi>
      {after}
    </span>
  );
}

/** Still on the board: not retracted, not all-clear, not past its end. */
export function isCurrent(a: AlertView, now: number): boolean {
  return !a.retracted && !a.allClear && a.expiresAt > now;
}

/** One alert as a card: severity by word, icon and colour; kind, title, place, age, end, sender, verdicts. */
export function AlertCard({ a, now, onOpen }: { a: AlertView; now: number; onOpen: (id: string) => void }) {
  const { lang, tr } = useT();
  return (
    <button class={`card alert sev-border-${a.severity}`} onClick={() => onOpen(a.id)}>
      <span class="row">
        <Severity level={a.severity} />
        <span class="kind">
          <span aria-hidden="true">{KIND_ICON[a.kind] ?? '❗'}</span> {kindLabel(tr, a.kind)}
        </span>
        <span class="age">{age(lang, now - a.sentAt)}</span>
      </span>
      <strong class="title" dir="auto">
        {plain(a.title)}
      </strong>
      {a.place && (
        <span class="place" dir="auto">
          <span aria-hidden="true">📍</span> {plain(a.place)}
        </span>
      )}
      <span class="meta">
        <Sender a={a} /> · <bdi>{plain(a.group)}</bdi>
      </span>
      <span class="meta">{a.expiresAt > now ? tr('board.expires', { when: until(lang, a.expiresAt - now) }) : tr('board.expired')}</span>
      {(a.retracted || a.allClear) && <span class="flag">{a.retracted ? tr('board.retracted') : tr('board.allClear')}</span>}
      {(a.acks.confirmed > 0 || a.acks.disputed > 0) && (
        <span class="meta">
          {a.acks.confirmed > 0 && tr('board.confirmed', { count: a.acks.confirmed })} {a.acks.disputed > 0 && tr('board.disputed', { count: a.acks.disputed })}
        </span>
      )}
    </button>
  );
}

/**
 * The live board: alerts that have not expired, newest first (the host sends them newest first). A
 * retracted or all-clear alert stays on the board, marked, until it expires: whoever saw the alarm
 * must see the correction where they saw it. The count (and the tab title) are of current ones only.
 */
export function Board({ alerts, now, onOpen, onReport }: { alerts: AlertView[]; now: number; onOpen: (id: string) => void; onReport: () => void }) {
  const { tr } = useT();
  const current = alerts.filter((a) => isCurrent(a, now));
  const shown = alerts.filter((a) => a.expiresAt > now);
  return (
    <section aria-labelledby="board-title">
      <div class="row">
        <h1 id="board-title">{tr('board.title')}</h1>
        <span class="count" aria-live="polite">
          {tr('board.count', { count: current.length })}
        </span>
      </div>
      <button class="big report" onClick={onReport}>
        <span aria-hidden="true">📣</span> {tr('board.report')}
      </button>
      {shown.length === 0 && <p>{tr('board.empty')}</p>}
      <ul class="alerts">
        {shown.map((a) => (
          <li key={a.id}>
            <AlertCard a={a} now={now} onOpen={onOpen} />
          </li>
        ))}
      </ul>
    </section>
  );
}

export function AlertScreen({ alert: a, onBack, onChanged }: { alert: AlertView | undefined; onBack: () => void; onChanged: () => void }) {
  const { lang, tr } = useT();
  const [note, setNote] = useState('');
  const [status, setStatus] = useState('');
  const [copied, setCopied] = useState(false);
  if (!a) {
    return (
      <section>
        <p>{tr('alert.gone')}</p>
        <button class="big" onClick={onBack}>
          {tr('app.back')}
        </button>
      </section>
    );
  }
  const act = async (fn: () => Promise<unknown>, done: string) => {
    try {
      await fn();
      setStatus(done);
      onChanged();
    } catch (err) {
      setStatus(tr('app.error', { message: err instanceof ApiError ? err.message : String(err) }));
    }
  };
  const coords = a.lat !== undefined && a.lon !== undefined ? `${a.lat.toFixed(5)}, ${a.lon.toFixed(5)}` : undefined;
  return (
    <section aria-labelledby="alert-title">
      <button class="link" onClick={onBack}>
        ← {tr('app.back')}
      </button>
      <div class="row">
        <Severity level={a.severity} />
        <span class="kind">{kindLabel(tr, a.kind)}</span>
      </div>
      <h1 id="alert-title" dir="auto">
        {plain(a.title)}
      </h1>
      {a.body && (
        <p class="body" dir="auto">
          {plain(a.body)}
        </p>
      )}
      <dl>
        <dt>{tr('alert.place')}</dt>
        <dd dir="auto">{plain(a.place)}</dd>
        {coords && (
          <>
            <dt>{tr('alert.coords')}</dt>
            <dd>
              <code>{coords}</code>{' '}
              <button class="small" onClick={() => void navigator.clipboard?.writeText(coords).then(() => setCopied(true))}>
                {copied ? tr('alert.copied') : tr('alert.copy')}
              </button>
            </dd>
          </>
        )}
        <dt>{tr('alert.group')}</dt>
        <dd>
          <bdi>{plain(a.group)}</bdi> · <Sender a={a} />
        </dd>
        <dt>{tr('alert.sent')}</dt>
        <dd>
          {dateTime(lang, a.sentAt)} ({age(lang, Date.now() - a.sentAt)})
        </dd>
        <dt>{tr('alert.ends')}</dt>
        <dd>
          {dateTime(lang, a.expiresAt)} ({a.expiresAt > Date.now() ? until(lang, a.expiresAt - Date.now()) : tr('board.expired')})
        </dd>
      </dl>
      <p>{tr('alert.rollcall', { seen: a.acks.seen, onMyWay: a.acks.onMyWay, onScene: a.acks.onScene, cannot: a.acks.cannot })}</p>
      <h2>{tr('alert.answer')}</h2>
      <div class="acks">
        {ACKS.map((s) => (
          <button key={s} class={`big ack ${a.mine === s ? 'chosen' : ''}`} aria-pressed={a.mine === s} onClick={() => void act(() => api.ack(a.id, s), tr('alert.answered', { status: tr(`ack.${s}`) }))}>
            {tr(`ack.${s}`)}
          </button>
        ))}
      </div>
      <h2>{tr('alert.verdict')}</h2>
      <label>
        {tr('alert.note')}
        <input maxLength={500} value={note} onInput={(e) => setNote(e.currentTarget.value)} dir="auto" />
      </label>
      <div class="acks">
        <button class="big" onClick={() => void act(() => api.verdict(a.id, 'confirm', note), tr('alert.verdictSent'))}>
          {tr('alert.confirm')}
        </button>
        <button class="big" onClick={() => void act(() => api.verdict(a.id, 'dispute', note), tr('alert.verdictSent'))}>
          {tr('alert.dispute')}
        </button>
      </div>
      {status && (
        <p role="status" class="note">
          {status}
        </p>
      )}
    </section>
  );
}

/** Two taps: a kind, then the place (and send). Severity defaults to urgent; a raid is critical. */
export function Report({ groups, onDone }: { groups: GroupView[]; onDone: () => void }) {
  const { tr } = useT();
  const member = groups.filter((g) => g.status === 'member');
  const [kind, setKind] = useState<string>();
  const [place, setPlace] = useState('');
  const [groupId, setGroupId] = useState(member[0]?.id ?? '');
  const [severity, setSeverity] = useState('urgent');
  const [status, setStatus] = useState('');
  const [busy, setBusy] = useState(false);
  if (member.length === 0) return <p>{tr('board.noGroups')}</p>;
  if (!kind) {
    return (
      <section aria-labelledby="report-title">
        <h1 id="report-title">{tr('report.title')}</h1>
        <h2>{tr('report.kind')}</h2>
        <div class="kinds">
          {KINDS.map((k) => (
            <button
              key={k}
              class="big kind-btn"
              onClick={() => {
                setKind(k);
                setSeverity(k === 'raid' ? 'critical' : k === 'other' ? 'info' : 'urgent');
              }}
            >
              <span aria-hidden="true">{KIND_ICON[k]}</span> {tr(`kind.${k}` as MessageKey)}
            </button>
          ))}
        </div>
        <button class="link" onClick={onDone}>
          ← {tr('app.back')}
        </button>
      </section>
    );
  }
  return (
    <section aria-labelledby="report-title">
      <h1 id="report-title">
        {tr('report.title')}: {tr(`kind.${kind}` as MessageKey)}
      </h1>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setBusy(true);
          api
            .send({ groupId, kind, severity, place, title: tr(`kind.${kind}` as MessageKey) })
            .then(() => {
              setStatus(tr('report.sent'));
              setTimeout(onDone, 800);
            })
            .catch((err: unknown) => setStatus(tr('app.error', { message: err instanceof ApiError ? err.message : String(err) })))
            .finally(() => setBusy(false));
        }}
      >
        <label>
          {tr('report.place')}
          <input required autoFocus maxLength={200} placeholder={tr('report.placeHint')} value={place} onInput={(e) => setPlace(e.currentTarget.value)} dir="auto" />
        </label>
        <label>
          {tr('report.severity')}
          <select value={severity} onChange={(e) => setSeverity(e.currentTarget.value)}>
            {(['critical', 'urgent', 'info'] as const).map((s) => (
              <option key={s} value={s}>
                {tr(`severity.${s}`)}
              </option>
            ))}
          </select>
        </label>
        {member.length > 1 && (
          <label>
            {tr('report.group')}
            <select value={groupId} onChange={(e) => setGroupId(e.currentTarget.value)}>
              {member.map((g) => (
                <option key={g.id} value={g.id}>
                  {plain(g.title)}
                </option>
              ))}
            </select>
          </label>
        )}
        <button class="big primary" type="submit" disabled={busy}>
          {busy ? tr('report.sending') : tr('report.send')}
        </button>
      </form>
      {status && (
        <p role="status" class="note">
          {status}
        </p>
      )}
      <button class="link" onClick={() => setKind(undefined)}>
        ← {tr('app.back')}
      </button>
    </section>
  );
}
