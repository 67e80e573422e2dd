import { useEffect, useState } from 'preact/hooks';
import { organiserApi, type ContactsView } from './organiser-api.js';
import { useT } from './i18n.js';
import { plain } from './text.js';

/** The hotline and legal contact each of the member's groups set (docs/app.md "The hotline convention"). */
export function useContacts(): ContactsView[] {
  const [contacts, setContacts] = useState<ContactsView[]>([]);
  useEffect(() => {
    // The cards work without the host too: no contacts then, the cards still show.
    organiserApi.contacts().then(setContacts, () => setContacts([]));
  }, []);
  return contacts;
}

/** What a rights card shows under its text: each group's own hotline and legal contact. */
export function ContactLines({ contacts }: { contacts: ContactsView[] }) {
  const { tr } = useT();
  if (contacts.length === 0) return null;
  return (
    <div class="contacts">
      {contacts.map((c) => (
        <p key={c.groupId}>
          <strong>
            {tr('org.contacts.title')} (<bdi>{plain(c.group)}</bdi>)
          </strong>
          {c.hotline && (
            <span class="contact">
              {tr('org.contacts.hotline')}: <bdi class="hotline">{plain(c.hotline)}</bdi>
            </span>
          )}
          {c.legal && (
            <span class="contact">
              {tr('org.contacts.legal')}: <bdi class="legal">{plain(c.legal)}</bdi>
            </span>
          )}
        </p>
      ))}
    </div>
  );
}
