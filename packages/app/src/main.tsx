import type { Lang } from '@aviso/i18n';
import { render } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { AlertScreen, Board, Report } from './alerts.js';
import { AlertTools } from './alert-tools.js';
import { api, live, type AlertView, type GroupView, type Profile } from './api.js';
import { LangContext, browserLang, initialLang, saveLang, useT } from './i18n.js';
import { CreateOffer, GroupScreen, GroupsList, NewGroup, organises, type GroupTab } from './groups.js';
import { LanguageChoice, Onboarding } from './onboarding.js';
import { Rights } from './rights.js';

type Screen = { name: 'board' } | { name: 'alert'; id: string } | { name: 'report' } | { name: 'rights'; back: Screen } | OrganiserScreen;
// The organiser's screens (groups.tsx); a new group is offered on onboarding too.
type OrganiserScreen = { name: 'groups' } | { name: 'group'; id: string; tab: GroupTab } | { name: 'new-group' };

function Shell({ lang, setLang }: { lang: Lang; setLang: (l: Lang) => void }) {
  const { tr } = useT();
  const [profile, setProfile] = useState<Profile>();
  const [alerts, setAlerts] = useState<AlertView[]>([]);
  const [groups, setGroups] = useState<GroupView[]>([]);
  const [screen, setScreen] = useState<Screen>({ name: 'board' });
  const [online, setOnline] = useState(true);
  const [now, setNow] = useState(Date.now());
  const [tick, setTick] = useState(0); // bumped on every refresh: open group screens refetch

  const refresh = useCallback(async () => {
    const p = await api.profile();
    setProfile(p);
    if (!p.registered) return;
    const [a, g] = await Promise.all([api.alerts(), api.groups()]);
    setAlerts(a);
    setGroups(g);
    setTick((n) => n + 1);
  }, []);

  useEffect(() => {
    void refresh();
    live(
      (e) => {
        if (e.type !== 'connection' && e.type !== 'hello') void refresh(); // the views are the truth
      },
      (open) => {
        setOnline(open);
        if (open) void refresh();
      },
    );
    const tick = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(tick);
  }, [refresh]);

  useEffect(() => {
    document.title = alerts.length ? `(${alerts.length}) ${tr('app.name')}` : tr('app.name');
  }, [alerts.length, lang]);

  const onboarding = profile !== undefined && (!profile.registered || groups.length === 0);
  let body;
  if (screen.name === 'rights') body = <Rights onClose={() => setScreen(screen.back)} />;
  else if (!profile) body = null;
  else if (screen.name === 'new-group') body = <NewGroup defaultName={profile.displayName} onBack={() => setScreen(groups.length ? { name: 'groups' } : { name: 'board' })} onCreated={(id) => void refresh().then(() => setScreen({ name: 'group', id, tab: 'invites' }))} />;
  else if (onboarding)
    body = (
      <>
        <Onboarding onDone={() => void refresh()} />
        {profile.registered && <CreateOffer onCreate={() => setScreen({ name: 'new-group' })} />}
      </>
    );
  else if (screen.name === 'groups') body = <GroupsList groups={groups} onOpen={(id) => setScreen({ name: 'group', id, tab: 'members' })} onNew={() => setScreen({ name: 'new-group' })} onBack={() => setScreen({ name: 'board' })} />;
  else if (screen.name === 'group') body = <GroupScreen id={screen.id} tab={screen.tab} tick={tick} onTab={(tab) => setScreen({ ...screen, tab })} onBack={() => setScreen({ name: 'groups' })} />;
  else if (screen.name === 'alert')
    body = (
      <>
        <AlertScreen alert={alerts.find((a) => a.id === screen.id)} onBack={() => setScreen({ name: 'board' })} onChanged={() => void refresh()} />
        <AlertTools alert={alerts.find((a) => a.id === screen.id)} groups={groups} me={profile.accountId} />
      </>
    );
  else if (screen.name === 'report')
    body = (
      <Report
        groups={groups}
        onDone={() => {
          setScreen({ name: 'board' });
          void refresh();
        }}
      />
    );
  else body = <Board alerts={alerts} now={now} onOpen={(id) => setScreen({ name: 'alert', id })} onReport={() => setScreen({ name: 'report' })} />;

  return (
    <>
      <a class="skip" href="#main">
        {tr('app.skip')}
      </a>
      <header>
        <span class="brand">{tr('app.name')}</span>
        {!online && (
          <span class="offline" role="status">
            {tr('app.lostHost')}
          </span>
        )}
        <button class="small" onClick={() => setLang(lang === 'es' ? 'en' : 'es')} title={tr('lang.change')} lang={lang === 'es' ? 'en' : 'es'}>
          {lang === 'es' ? tr('lang.en') : tr('lang.es')}
        </button>
        {organises(groups) && (
          <button class="nav-btn" aria-current={screen.name === 'groups' || screen.name === 'group' ? 'page' : undefined} onClick={() => setScreen({ name: 'groups' })}>
            {tr('org.nav')}
          </button>
        )}
        <button class="rights-btn" onClick={() => setScreen(screen.name === 'rights' ? screen : { name: 'rights', back: screen })}>
          <span aria-hidden="true">⚖️</span> {tr('rights.button')}
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {body}
      </main>
    </>
  );
}

function App() {
  const [lang, setLangState] = useState<Lang | undefined>(initialLang());
  const setLang = (l: Lang) => {
    saveLang(l);
    setLangState(l);
  };
  useEffect(() => {
    if (lang) document.documentElement.lang = lang;
  }, [lang]);
  if (!lang) {
    return (
      <LangContext.Provider value={browserLang()}>
        <main id="main">
          <LanguageChoice onPick={setLang} />
        </main>
      </LangContext.Provider>
    );
  }
  return (
    <LangContext.Provider value={lang}>
      <Shell lang={lang} setLang={setLang} />
    </LangContext.Provider>
  );
}

render(<App />, document.getElementById('root')!);
