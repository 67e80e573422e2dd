import type { MessageKey, Params } from '@aviso/i18n';
import { useT } from './i18n.js';
import { plain } from './text.js';

/** Someone's name: their own text, so its own bidi island, as text, controls removed. */
export function Name({ person }: { person: { displayName?: string | undefined } | undefined }) {
  const { tr } = useT();
  return <bdi>{person?.displayName ? plain(person.displayName) : tr('org.members.noName')}</bdi>;
}

/** A catalog message with a name inside it (`{name}`), the name kept as its own <bdi>. */
export function WithName({ message, params, person }: { message: MessageKey; params?: Params; person: { displayName?: string | undefined } | undefined }) {
  const { tr } = useT();
  const [before, after] = tr(message, { ...params, name: '\u0000' }).split('\u0000');
  return (
    <span>
      {before}
      <Name person={person} />
      {after}
    </span>
  );
}
