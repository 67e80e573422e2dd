import { useCallback, useEffect, useState } from 'preact/hooks';
import { Status, useAction } from './action.js';
import { GroupSettingsForm } from './group-settings.js';
import { Members, Requests } from './group-members.js';
import { useT } from './i18n.js';
import { Invites } from './invites.js';
import { organiserApi, type GroupDetail } from './organiser-api.js';
import { plain } from './text.js';

export type GroupTab = 'members' | 'requests' | 'invites' | 'settings';
const TABS: readonly GroupTab[] = ['members', 'requests', 'invites', 'settings'];
const GROUP_REFRESH_MS = 4000;

/** On onboarding, once registered: an organiser starts a group here instead of joining one. */
export function CreateOffer({ onCreate }: { onCreate: () => void }) {
  const { tr } = useT();
  return (
    <section aria-labelledby="offer-title" class="offer">
      <h2 id="offer-title">{tr('org.offer.title')}</h2>
      <p>{tr('org.offer.body')}</p>
      <button class="big" onClick={onCreate}>
        {tr('org.new.title')}
      </button>
    </section>
  );
}

export function NewGroup({ defaultName, onCreated, onBack }: { defaultName: string | undefined; onCreated: (id: string) => void; onBack: () => void }) {
  const { tr } = useT();
  const [title, setTitle] = useState('');
  const [name, setName] = useState(defaultName ?? '');
  const [about, setAbout] = useState('');
  const { busy, status, run } = useAction();
  return (
    <section aria-labelledby="new-title">
      <button class="link" onClick={onBack}>
        ← {tr('app.back')}
      </button>
      <h1 id="new-title">{tr('org.new.title')}</h1>
      <p>{tr('org.new.intro')}</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          let id = '';
          void run(async () => {
            id = (await organiserApi.createGroup({ title, ...(name.trim() ? { displayName: name } : {}), about })).id;
          }, '').then((ok) => ok && onCreated(id));
        }}
      >
        <label>
          {tr('org.new.name')}
          <input required maxLength={100} value={title} onInput={(e) => setTitle(e.currentTarget.value)} dir="auto" />
        </label>
        <label>
          {tr('org.new.you')}
          <input required maxLength={64} value={name} onInput={(e) => setName(e.currentTarget.value)} dir="auto" />
        </label>
        <label>
          {tr('org.new.about')}
          <textarea rows={3} maxLength={1000} value={about} onInput={(e) => setAbout(e.currentTarget.value)} dir="auto" />
        </label>
        <button class="big primary" type="submit" disabled={busy}>
          {busy ? tr('org.new.creating') : tr('org.new.create')}
        </button>
      </form>
      <Status text={status} />
    </section>
  );
}

/** One group's screens: members, join requests, invites, settings; refetched on every live change. */
export function GroupScreen({ id, tab, tick, onTab, onBack }: { id: string; tab: GroupTab; tick: number; onTab: (tab: GroupTab) => void; onBack: () => void }) {
  const { tr } = useT();
  const [group, setGroup] = useState<GroupDetail>();
  const [error, setError] = useState('');
  const reload = useCallback(() => {
    organiserApi.group(id).then(
      (g) => {
        setGroup(g);
        setError('');
      },
      (err: unknown) => setError(tr('app.error', { message: err instanceof Error ? err.message : String(err) })),
    );
  }, [id]);
  useEffect(reload, [reload, tick]);
  // A join or a request is learnt when the host syncs the group log (GET syncs), not always from a
  // live event: refetch while the screen is open, and on every section change.
  useEffect(() => {
    const timer = setInterval(reload, GROUP_REFRESH_MS);
    return () => clearInterval(timer);
  }, [reload]);
  if (!group) {
    return (
      <section>
        <button class="link" onClick={onBack}>
          ← {tr('app.back')}
        </button>
        <p role="status">{error || tr('org.loading')}</p>
      </section>
    );
  }
  const admin = group.role === 'admin';
  const tabs = TABS.filter((t) => admin || t === 'members' || (t === 'invites' && group.membersCanInvite));
  const shown = tabs.includes(tab) ? tab : 'members';
  return (
    <section aria-labelledby="group-title">
      <button class="link" onClick={onBack}>
        ← {tr('app.back')}
      </button>
      <h1 id="group-title">
        <bdi>{plain(group.title)}</bdi>
      </h1>
      <nav aria-label={tr('org.tabs')} class="tabs">
        {tabs.map((t) => (
          <button key={t} class={t === shown ? 'tab current' : 'tab'} aria-current={t === shown ? 'page' : undefined} onClick={() => {
              onTab(t);
              reload();
            }}>
            {t === 'requests' ? tr('org.tab.requests', { count: group.requests.length }) : tr(`org.tab.${t}`)}
          </button>
        ))}
      </nav>
      {shown === 'members' && <Members group={group} onChanged={reload} />}
      {shown === 'requests' && <Requests group={group} onChanged={reload} />}
      {shown === 'invites' && <Invites group={group} onChanged={reload} />}
      {shown === 'settings' && <GroupSettingsForm group={group} onChanged={reload} />}
    </section>
  );
}
