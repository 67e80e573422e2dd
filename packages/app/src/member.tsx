import type { MessageKey } from '@aviso/i18n';
import { useEffect, useState } from 'preact/hooks';
import { AlertCard, isCurrent } from './alerts.js';
import { api, ApiError, type AlertView, type GroupView, type SafetyView } from './api.js';
import { useT } from './i18n.js';
import { plain } from './text.js';

/** Every alert the device still holds, ended ones too, newest first; each says whether it is current. */
export function History({ alerts, now, onOpen }: { alerts: AlertView[]; now: number; onOpen: (id: string) => void }) {
  const { tr } = useT();
  const sorted = [...alerts].sort((a, b) => b.sentAt - a.sentAt);
  // A retracted or all-clear card says so itself; the others say whether they are still current.
  const status = (a: AlertView) => (a.retracted || a.allClear ? undefined : isCurrent(a, now) ? tr('history.active') : tr('board.expired'));
  return (
    <section aria-labelledby="history-title">
      <h1 id="history-title">{tr('history.title')}</h1>
      <p class="hint">{tr('history.intro')}</p>
      {sorted.length === 0 && <p>{tr('history.empty')}</p>}
      <ul class="alerts">
        {sorted.map((a) => (
          <li key={a.id}>
            {status(a) && <span class="flag">{tr('history.status', { status: status(a)! })}</span>}
            <AlertCard a={a} now={now} onOpen={onOpen} />
          </li>
        ))}
      </ul>
    </section>
  );
}

function roleLabel(tr: ReturnType<typeof useT>['tr'], role: string | undefined): string {
  return role === 'admin' || role === 'member' ? tr(`role.${role}` as MessageKey) : (role ?? '');
}

/** Alphabetical, so a group keeps its place on the screen whatever order the SDK's store returns. */
function byTitle(groups: GroupView[]): GroupView[] {
  const collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });
  return [...groups].sort((a, b) => collator.compare(a.title, b.title));
}

/** The member's groups with role and member count; organiser tools get their place here (another screen). */
export function Groups({ groups, onSafety, onManage, onNew }: { groups: GroupView[]; onSafety: (groupId: string) => void; onManage: (groupId: string) => void; onNew: () => void }) {
  const { tr } = useT();
  return (
    <section aria-labelledby="groups-title">
      <h1 id="groups-title">{tr('groups.title')}</h1>
      <button class="big primary" onClick={onNew}>
        {tr('org.groups.new')}
      </button>
      {groups.length === 0 && <p>{tr('groups.empty')}</p>}
      <ul class="plain">
        {byTitle(groups).map((g) => (
          <li key={g.id} class="card">
            <h2 dir="auto">
              <bdi>{plain(g.title)}</bdi>
            </h2>
            {g.status === 'member' ? (
              <>
                <p>
                  {tr('groups.role', { role: roleLabel(tr, g.role) })} · {tr('groups.members', { count: g.members ?? 0 })}
                </p>
                <button class="big" onClick={() => onSafety(g.id)}>
                  {tr('groups.safety')}
                </button>
                {/* An organiser's screens for this group: members, requests, invites, settings (groups.tsx). */}
                {g.role === 'admin' && (
                  <button class="big group-card" onClick={() => onManage(g.id)}>
                    {tr('groups.manage')} <bdi>{plain(g.title)}</bdi>
                  </button>
                )}
              </>
            ) : (
              <p>{tr('groups.pending')}</p>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

/** Per member: the 60-digit safety number in 12 groups of 5, its QR code, and "mark as verified". */
export function Safety({ group, onBack }: { group: GroupView | undefined; onBack: () => void }) {
  const { tr } = useT();
  const [people, setPeople] = useState<SafetyView[]>();
  const [error, setError] = useState('');
  const groupId = group?.id;
  const load = () => {
    if (!groupId) return;
    api
      .safety(groupId)
      .then(setPeople)
      .catch((err: unknown) => setError(tr('app.error', { message: err instanceof ApiError ? err.message : String(err) })));
  };
  useEffect(load, [groupId]);
  if (!group) return <p>{tr('groups.empty')}</p>;
  const others = (people ?? []).filter((p) => !p.you);
  // The group title is someone else's text: its own bidi island inside the translated sentence.
  const [before, after] = tr('safety.title', { group: '\u0000' }).split('\u0000');
  return (
    <section aria-labelledby="safety-title">
      <button class="link" onClick={onBack}>
        <span aria-hidden="true">←</span> {tr('app.back')}
      </button>
      <h1 id="safety-title">
        {before}
        <bdi>{plain(group.title)}</bdi>
        {after}
      </h1>
      <p class="hint">{tr('safety.intro')}</p>
      {error && (
        <p role="status" class="note">
          {error}
        </p>
      )}
      {people && others.length === 0 && <p>{tr('safety.none')}</p>}
      <ul class="plain">
        {others.map((p) => {
          const name = plain(p.displayName ?? p.accountId.slice(0, 8));
          return (
            <li key={p.accountId} class="card safety">
              <h2>
                <bdi>{name}</bdi> <span class="role">({roleLabel(tr, p.role)})</span>
              </h2>
              {p.confusableWith.length > 0 && <p class="note">{tr('safety.lookalike')}</p>}
              {p.groups && (
                <>
                  <p class="sr-only">{tr('safety.digits', { name })}</p>
                  <ol class="digits">
                    {p.groups.map((d, i) => (
                      <li key={i}>{d}</li>
                    ))}
                  </ol>
                </>
              )}
              {p.qrSvg && <img class="qr" width={200} height={200} alt={tr('safety.qr', { name })} src={`data:image/svg+xml,${encodeURIComponent(p.qrSvg)}`} />}
              {p.safetyNumber && (
                <div class="setting">
                  <span id={`verified-${p.accountId}`}>{tr('safety.mark')}</span>
                  <button
                    role="switch"
                    aria-checked={p.verified === true}
                    aria-labelledby={`verified-${p.accountId}`}
                    class={`switch ${p.verified ? 'on' : ''}`}
                    onClick={() =>
                      void api
                        .setVerified(p.accountId, !p.verified)
                        .then(load)
                        .catch((err: unknown) => setError(tr('app.error', { message: err instanceof ApiError ? err.message : String(err) })))
                    }
                  >
                    {p.verified ? tr('safety.verified') : tr('settings.off')}
                  </button>
                </div>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
