import type { MessageKey } from '@aviso/i18n';
import { ContactLines, useContacts } from './contacts.js';
import { useT } from './i18n.js';

const CARDS = ['always', 'home', 'work', 'street', 'call'] as const;

/** Know your rights: bundled cards, readable with no connection at all. */
export function Rights({ onClose }: { onClose: () => void }) {
  const { tr } = useT();
  const contacts = useContacts();
  return (
    <section aria-labelledby="rights-title">
      <h1 id="rights-title">{tr('rights.title')}</h1>
      <p>{tr('rights.intro')}</p>
      {CARDS.map((c) => (
        <article class="card rights" key={c}>
          <h2>{tr(`rights.${c}.title` as MessageKey)}</h2>
          <p>{tr(`rights.${c}.body` as MessageKey)}</p>
          <ContactLines contacts={contacts} />
        </article>
      ))}
      <button class="big" onClick={onClose}>
        {tr('app.back')}
      </button>
    </section>
  );
}
