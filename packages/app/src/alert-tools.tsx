import type { MessageKey } from '@aviso/i18n';
import { useEffect, useState } from 'preact/hooks';
import type { AlertView, GroupView } from './api.js';
import { Status, useAction } from './action.js';
import { useT } from './i18n.js';
import { Name } from './name.js';
import { organiserApi, type Person, type RollCallView } from './organiser-api.js';

const ROWS: readonly [keyof RollCallView, MessageKey][] = [
  ['onMyWay', 'ack.on-my-way'],
  ['onScene', 'ack.on-scene'],
  ['seen', 'ack.seen'],
  ['cannot', 'ack.cannot'],
  ['noAnswer', 'org.roll.noAnswer'],
  ['confirmed', 'org.roll.confirmed'],
  ['disputed', 'org.roll.disputed'],
];

function People({ people }: { people: Person[] }) {
  const { tr } = useT();
  if (people.length === 0) return <p class="meta">{tr('org.roll.nobody')}</p>;
  return (
    <ul class="names">
      {people.map((p) => (
        <li key={p.accountId}>
          <Name person={p} />
        </li>
      ))}
    </ul>
  );
}

/**
 * Under an alert, for its sender and the group's organisers: the live roll call by name (refetched
 * whenever the board's counts move) and the retract and all-clear actions.
 */
export function AlertTools({ alert: a, groups, me }: { alert: AlertView | undefined; groups: GroupView[]; me: string | undefined }) {
  const { tr } = useT();
  const [roll, setRoll] = useState<RollCallView>();
  const [reason, setReason] = useState('');
  const { busy, status, run } = useAction();
  const admin = groups.some((g) => g.id === a?.groupId && g.role === 'admin');
  const allowed = a !== undefined && (admin || a.from === me);
  const counts = a ? JSON.stringify(a.acks) : '';
  useEffect(() => {
    if (!allowed || !a) return;
    organiserApi.rollCall(a.id).then(setRoll, () => setRoll(undefined));
  }, [a?.id, counts, allowed]);
  if (!a || !allowed) return null;
  return (
    <section aria-labelledby="roll-title" class="tools">
      <h2 id="roll-title">{tr('org.roll.title')}</h2>
      {roll && (
        <div class="roll" aria-live="polite">
          {ROWS.map(([key, label]) => (
            <div key={key} class={`roll-row roll-${key}`}>
              <h3>
                {tr(label)} ({roll[key].length})
              </h3>
              <People people={roll[key]} />
            </div>
          ))}
        </div>
      )}
      {!a.retracted && (
        <>
          <h2>{tr('org.alert.manage')}</h2>
          <label>
            {tr('org.alert.reason')}
            <input maxLength={500} value={reason} onInput={(e) => setReason(e.currentTarget.value)} dir="auto" />
          </label>
          <div class="acks">
            <button class="big danger" disabled={busy} onClick={() => void run(() => organiserApi.retract(a.id, reason), tr('org.alert.retracted'))}>
              {tr('org.alert.retract')}
            </button>
            {!a.allClear && (
              <button class="big" disabled={busy} onClick={() => void run(() => organiserApi.allClear(a.id), tr('org.alert.cleared'))}>
                {tr('org.alert.allClear')}
              </button>
            )}
          </div>
        </>
      )}
      <Status text={status} />
    </section>
  );
}
