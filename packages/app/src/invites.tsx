import { dateTime } from '@aviso/i18n';
import { useState } from 'preact/hooks';
import { Status, useAction } from './action.js';
import { useT } from './i18n.js';
import { organiserApi, type GroupDetail, type InviteStateView, type NewInvite } from './organiser-api.js';

const EXPIRIES = [
  ['hour', 3600],
  ['day', 86400],
  ['week', 7 * 86400],
  ['month', 30 * 86400],
] as const;

/** The host draws the QR code; anything but its SVG data: URL is not shown (nothing else may be an image source). */
const QR_PREFIX = 'data:image/svg+xml;base64,';

function Created({ invite }: { invite: NewInvite }) {
  const { tr } = useT();
  const [copied, setCopied] = useState(false);
  return (
    <div class="card created" aria-live="polite">
      {invite.qr.startsWith(QR_PREFIX) && <img class="qr" src={invite.qr} alt={tr('org.invites.qr')} width={280} height={280} />}
      <label>
        {tr('org.invites.link')}
        <textarea class="code" readOnly rows={4} value={invite.code} spellcheck={false} onFocus={(e) => e.currentTarget.select()} />
      </label>
      <button class="big" onClick={() => void navigator.clipboard?.writeText(invite.code).then(() => setCopied(true))}>
        {copied ? tr('org.invites.copied') : tr('org.invites.copy')}
      </button>
      <p>{tr('org.invites.share')}</p>
    </div>
  );
}

function InviteRow({ group, i, onChanged }: { group: GroupDetail; i: InviteStateView; onChanged: () => void }) {
  const { lang, tr } = useT();
  const [removeMembers, setRemoveMembers] = useState(false);
  const { busy, status, run } = useAction();
  return (
    <li class="card">
      <span class="row">
        <strong>{tr(`org.invites.state.${i.state}`)}</strong>
        <span>{tr('org.invites.detail', { uses: i.uses, maxUses: i.maxUses, expires: dateTime(lang, i.expiresAt) })}</span>
      </span>
      <span class="meta">
        {tr('org.invites.asRole', { role: tr(i.role === 'admin' ? 'role.admin' : 'role.member') })}
        {i.requireApproval && ` · ${tr('org.invites.needsApproval')}`}
      </span>
      {group.role === 'admin' && i.state !== 'revoked' && (
        <>
          <label class="check">
            <input type="checkbox" checked={removeMembers} onChange={(e) => setRemoveMembers(e.currentTarget.checked)} />
            {tr('org.invites.removeMembers')}
          </label>
          <button class="big danger" disabled={busy} onClick={() => void run(() => organiserApi.revokeInvite(group.id, i.inviteId, removeMembers), tr('org.invites.revoked')).then((ok) => ok && onChanged())}>
            {tr('org.invites.revoke')}
          </button>
        </>
      )}
      <Status text={status} />
    </li>
  );
}

export function Invites({ group, onChanged }: { group: GroupDetail; onChanged: () => void }) {
  const { tr } = useT();
  const admin = group.role === 'admin';
  const [uses, setUses] = useState(1);
  const [expires, setExpires] = useState<number>(86400);
  // A member's invites always need approval (the group's rule when members may invite).
  const [approval, setApproval] = useState(!admin);
  const [role, setRole] = useState('member');
  const [created, setCreated] = useState<NewInvite>();
  const { busy, status, run } = useAction();
  return (
    <>
      <h2>{tr('org.invites.new')}</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setCreated(undefined);
          void run(async () => {
            setCreated(await organiserApi.createInvite(group.id, { maxUses: uses, expiresInSeconds: expires, requireApproval: approval || !admin, role }));
          }, '').then((ok) => ok && onChanged());
        }}
      >
        <label>
          {tr('org.invites.uses')}
          <input type="number" inputMode="numeric" min={1} max={1000} required value={uses} onInput={(e) => setUses(Number(e.currentTarget.value))} />
        </label>
        <label>
          {tr('org.invites.expires')}
          <select value={String(expires)} onChange={(e) => setExpires(Number(e.currentTarget.value))}>
            {EXPIRIES.map(([name, seconds]) => (
              <option key={name} value={String(seconds)}>
                {tr(`org.invites.${name}`)}
              </option>
            ))}
          </select>
        </label>
        <label class="check">
          <input type="checkbox" checked={approval || !admin} disabled={!admin} onChange={(e) => setApproval(e.currentTarget.checked)} />
          {tr('org.invites.approval')}
        </label>
        {admin && (
          <label>
            {tr('org.invites.role')}
            <select value={role} onChange={(e) => setRole(e.currentTarget.value)}>
              <option value="member">{tr('role.member')}</option>
              <option value="admin">{tr('role.admin')}</option>
            </select>
          </label>
        )}
        <button class="big primary" type="submit" disabled={busy}>
          {tr('org.invites.create')}
        </button>
      </form>
      <Status text={status} />
      {created && <Created invite={created} />}
      {admin && (
        <>
          <h2>{tr('org.invites.list')}</h2>
          {group.invites.length === 0 && <p>{tr('org.invites.empty')}</p>}
          <ul class="plain">
            {group.invites.map((i) => (
              <InviteRow key={i.inviteId} group={group} i={i} onChanged={onChanged} />
            ))}
          </ul>
        </>
      )}
    </>
  );
}
