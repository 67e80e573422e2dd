import { useState } from 'preact/hooks';
import { Status, useAction } from './action.js';
import { useT } from './i18n.js';
import { Name, WithName } from './name.js';
import { organiserApi, type GroupDetail, type MemberView, type RequestView } from './organiser-api.js';

/** The first characters of an account id: how to tell two look-alike names apart. */
function ShortId({ id }: { id: string }) {
  return <code class="id">{id.slice(0, 8)}</code>;
}

function MemberRow({ group, m, onChanged }: { group: GroupDetail; m: MemberView; onChanged: () => void }) {
  const { tr } = useT();
  const [ban, setBan] = useState(false);
  const { busy, status, run } = useAction();
  const inviter = m.invitedBy === undefined ? undefined : group.members.find((p) => p.accountId === m.invitedBy);
  const act = (fn: () => Promise<unknown>, done: string) => void run(fn, done).then((ok) => ok && onChanged());
  return (
    <li class="card member">
      <span class="row">
        <strong>
          <Name person={m} />
        </strong>
        {m.you && <span>{tr('org.members.you')}</span>}
        <span class="badge">{tr(m.role === 'admin' ? 'role.admin' : 'role.member')}</span>
        <ShortId id={m.accountId} />
      </span>
      <span class="meta">{m.invitedBy === undefined ? tr('org.members.founder') : <WithName message="org.members.invitedBy" person={inviter ?? { displayName: m.invitedBy.slice(0, 8) }} />}</span>
      {m.confusableWith.length > 0 && <span class="warn">⚠️ {tr('org.members.lookAlike')}</span>}
      {group.role === 'admin' && !m.you && (
        <details>
          <summary>
            {tr('org.members.manage')}: <Name person={m} />
          </summary>
          <button class="big" disabled={busy} onClick={() => act(() => organiserApi.setRole(group.id, m.accountId, m.role === 'admin' ? 'member' : 'admin'), tr('org.members.roleSet'))}>
            {m.role === 'admin' ? tr('org.members.makeMember') : tr('org.members.makeAdmin')}
          </button>
          <label class="check">
            <input type="checkbox" checked={ban} onChange={(e) => setBan(e.currentTarget.checked)} />
            {tr('org.members.ban')}
          </label>
          <button class="big danger" disabled={busy} onClick={() => act(() => organiserApi.remove(group.id, m.accountId, ban), tr('org.members.removed'))}>
            {tr('org.members.remove')}
          </button>
          <Status text={status} />
        </details>
      )}
    </li>
  );
}

export function Members({ group, onChanged }: { group: GroupDetail; onChanged: () => void }) {
  const { tr } = useT();
  return (
    <>
      <h2>{tr('org.tab.members')}</h2>
      <ul class="plain">
        {group.members.map((m) => (
          <MemberRow key={m.accountId} group={group} m={m} onChanged={onChanged} />
        ))}
      </ul>
    </>
  );
}

function RequestRow({ group, p, onChanged }: { group: GroupDetail; p: RequestView; onChanged: () => void }) {
  const { tr } = useT();
  const { busy, status, run } = useAction();
  const inviter = group.members.find((m) => m.accountId === p.invitedBy);
  const act = (fn: () => Promise<unknown>, done: string) => void run(fn, done).then((ok) => ok && onChanged());
  return (
    <li class="card member">
      <span class="row">
        <strong>
          <Name person={p} />
        </strong>
        <ShortId id={p.accountId} />
      </span>
      {inviter && (
        <span class="meta">
          <WithName message="org.members.invitedBy" person={inviter} />
        </span>
      )}
      {p.confusableWith.length > 0 && <span class="warn">⚠️ {tr('org.members.lookAlike')}</span>}
      <div class="acks">
        <button class="big primary" disabled={busy} onClick={() => act(() => organiserApi.approve(group.id, p.accountId), tr('org.requests.approved'))}>
          {tr('org.requests.approve')}
        </button>
        <button class="big" disabled={busy} onClick={() => act(() => organiserApi.deny(group.id, p.accountId, false), tr('org.requests.denied'))}>
          {tr('org.requests.deny')}
        </button>
      </div>
      <button class="big danger" disabled={busy} onClick={() => act(() => organiserApi.deny(group.id, p.accountId, true), tr('org.requests.denied'))}>
        {tr('org.requests.denyBan')}
      </button>
      <Status text={status} />
    </li>
  );
}

export function Requests({ group, onChanged }: { group: GroupDetail; onChanged: () => void }) {
  const { tr } = useT();
  return (
    <>
      <h2>{tr('org.requests.title')}</h2>
      {group.requests.length === 0 && <p>{tr('org.requests.empty')}</p>}
      <ul class="plain">
        {group.requests.map((p) => (
          <RequestRow key={p.accountId} group={group} p={p} onChanged={onChanged} />
        ))}
      </ul>
    </>
  );
}
