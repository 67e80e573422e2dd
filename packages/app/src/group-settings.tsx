import { useState } from 'preact/hooks';
import { Status, useAction } from './action.js';
import { useT } from './i18n.js';
import { organiserApi, type GroupDetail } from './organiser-api.js';

/** Title, about text, the group's hotline and legal contact (kept in its encrypted description), two switches. */
export function GroupSettingsForm({ group, onChanged }: { group: GroupDetail; onChanged: () => void }) {
  const { tr } = useT();
  const [title, setTitle] = useState(group.title);
  const [about, setAbout] = useState(group.about);
  const [hotline, setHotline] = useState(group.hotline ?? '');
  const [legal, setLegal] = useState(group.legal ?? '');
  const [announcementsOnly, setAnnouncementsOnly] = useState(group.announcementsOnly);
  const [membersCanInvite, setMembersCanInvite] = useState(group.membersCanInvite);
  const { busy, status, run } = useAction();
  return (
    <>
      <h2>{tr('org.tab.settings')}</h2>
      <p>{tr('org.settings.private')}</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void run(() => organiserApi.settings(group.id, { title, about, hotline, legal, announcementsOnly, membersCanInvite }), tr('org.settings.saved')).then((ok) => ok && onChanged());
        }}
      >
        <label>
          {tr('org.settings.name')}
          <input required maxLength={100} value={title} onInput={(e) => setTitle(e.currentTarget.value)} dir="auto" />
        </label>
        <label>
          {tr('org.settings.about')}
          <textarea rows={3} maxLength={1000} value={about} onInput={(e) => setAbout(e.currentTarget.value)} dir="auto" />
        </label>
        <label>
          {tr('org.settings.hotline')}
          <input maxLength={200} value={hotline} onInput={(e) => setHotline(e.currentTarget.value)} dir="auto" autocomplete="off" />
        </label>
        <label>
          {tr('org.settings.legal')}
          <input maxLength={200} value={legal} onInput={(e) => setLegal(e.currentTarget.value)} dir="auto" autocomplete="off" />
        </label>
        <label class="check">
          <input type="checkbox" checked={announcementsOnly} onChange={(e) => setAnnouncementsOnly(e.currentTarget.checked)} />
          {tr('org.settings.announcements')}
        </label>
        <label class="check">
          <input type="checkbox" checked={membersCanInvite} onChange={(e) => setMembersCanInvite(e.currentTarget.checked)} />
          {tr('org.settings.membersInvite')}
        </label>
        <button class="big primary" type="submit" disabled={busy}>
          {tr('org.settings.save')}
        </button>
      </form>
      <Status text={status} />
    </>
  );
}
