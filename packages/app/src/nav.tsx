import type { MessageKey } from '@aviso/i18n';
import { useT } from './i18n.js';

// The member's screens, in the order of the bar. Organiser screens (groups, invites, approvals) join
// this list as their own entries when they land; nothing else here needs to change.
export const NAV = ['board', 'history', 'groups', 'settings'] as const;
export type NavName = (typeof NAV)[number];

export function Nav({ current, onGo }: { current: string; onGo: (name: NavName) => void }) {
  const { tr } = useT();
  return (
    <nav aria-label={tr('nav.label')}>
      <ul>
        {NAV.map((n) => (
          <li key={n}>
            <button class={current === n ? 'current' : ''} aria-current={current === n ? 'page' : undefined} onClick={() => onGo(n)}>
              {tr(`nav.${n}` as MessageKey)}
            </button>
          </li>
        ))}
      </ul>
    </nav>
  );
}
