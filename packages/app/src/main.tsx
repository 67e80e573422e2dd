import { t, type Lang } from '@aviso/i18n';
import { render } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { AlertScreen, Board, Report, isCurrent } from './alerts.js';
import { AlertTools } from './alert-tools.js';
import { ApiError, api, live, type AlertView, type Fingerprint, type GroupView, type Profile } from './api.js';
import { RelayChecked } from './fingerprint.js';
import { CreateOffer, GroupScreen, NewGroup, type GroupTab } from './groups.js';
import { LangContext, browserLang, initialLang, saveLang, useT } from './i18n.js';
import { keepFocus } from './focus-keeper.js';
import { Groups, History, Safety } from './member.js';
import { Nav, type NavName } from './nav.js';
import { announce } from './notify.js';
import { UnlockScreen } from './lock.js';
import { withLiveAlert } from './live-alert.js';
import { LanguageChoice, Onboarding } from './onboarding.js';
import { Rights } from './rights.js';
import { SettingsScreen } from './settings.js';
import { loadSettings, saveSettings, type Settings } from './settings-store.js';

type Screen = { name: NavName } | { name: 'alert'; id: string; back: NavName } | { name: 'report' } | { name: 'safety'; groupId: string } | { name: 'rights'; back: Screen } | OrganiserScreen;
// The organiser's screens (groups.tsx), reached from Groups; a new group is offered on onboarding too.
type OrganiserScreen = { name: 'group'; id: string; tab: GroupTab } | { name: 'new-group' };

/** Live events that change an alert or its answers and nothing about any group. */
const ALERT_EVENTS = new Set(['alert', 'ack', 'confirm', 'dispute', 'retract', 'all-clear']);

function Shell({ lang, setLang }: { lang: Lang; setLang: (l: Lang) => void }) {
  const { tr } = useT();
  const [profile, setProfile] = useState<Profile>();
  const [alerts, setAlerts] = useState<AlertView[]>([]);
  const [groups, setGroups] = useState<GroupView[]>([]);
  const [screen, setScreen] = useState<Screen>({ name: 'board' });
  const [online, setOnline] = useState(true);
  /** Envelopes taken so far while the host drains a backlog (the feed's catching-up), else undefined. */
  const [catchingUp, setCatchingUp] = useState<number | undefined>();
  const [now, setNow] = useState(Date.now());
  const [settings, setSettingsState] = useState<Settings>(loadSettings);
  const settingsRef = useRef(settings);
  settingsRef.current = settings;
  const langRef = useRef(lang);
  langRef.current = lang;
  const setSettings = (s: Settings) => {
    saveSettings(s);
    setSettingsState(s);
  };
  // Refreshes overlap (a tap and a live event at once): only the latest one started may set the
  // state, or an older read finishing last would put back counts from before our own answer.
  const latest = useRef(0);

  const [noSession, setNoSession] = useState(false);
  const [wiped, setWiped] = useState(false);
  const [tick, setTick] = useState(0); // bumped on every refresh: open group screens refetch
  // Just joined through an invite: say, once, that the relay was checked against the invite.
  const [joined, setJoined] = useState<Fingerprint>();

  // Who this member is, for a live alert's card before the refresh (the event does not say "mine").
  const meRef = useRef<string | undefined>(undefined);
  meRef.current = profile?.accountId;

  /**
   * Re-reads the views. A live event passes what it can have changed: 'views' skips the profile (no
   * event changes it), 'alerts' the groups too (an alert or its answers change no group, and the
   * groups view syncs every group with the relay, ahead of the next alert's own sync).
   */
  const refresh = useCallback(async (only?: 'views' | 'alerts') => {
    const seq = ++latest.current;
    try {
      if (!(only && meRef.current)) {
        const p = await api.profile();
        if (seq !== latest.current) return;
        setProfile(p);
        if (p.locked) {
          // Nothing of the profile stays on screen while it is locked.
          setAlerts([]);
          setGroups([]);
          return setScreen({ name: 'board' });
        }
        if (!p.registered) return;
      }
      if (only === 'alerts' && meRef.current) {
        const a = await api.alerts();
        if (seq !== latest.current) return;
        setAlerts(a);
        setTick((n) => n + 1); // an open group screen shows roll calls
        return;
      }
      const [a, g] = await Promise.all([api.alerts(), api.groups()]);
      if (seq !== latest.current) return;
      setAlerts(a);
      setGroups(g);
      setTick((n) => n + 1);
    } catch (err) {
      // No session: the launch token was spent elsewhere, or the host restarted with a new one.
      if (err instanceof ApiError && err.code === 'UNAUTHORIZED') return setNoSession(true);
      throw err;
    }
  }, []);

  useEffect(() => {
    void refresh();
    live(
      (e) => {
        if (e.type === 'alert') {
          // The event carries the card: show it now, then let the refresh below bring the whole truth.
          setAlerts((list) => withLiveAlert(list, e, meRef.current));
          announce(String(e['severity']), settingsRef.current, t(langRef.current, 'notify.text'));
        }
        // A long drain after the host was offline: say so (its alerts come as 'alert' events meanwhile).
        if (e.type === 'catching-up') return setCatchingUp(e['complete'] === true ? undefined : Number(e['done']));
        // The views are the truth; 'locked' reads the profile again (the unlock screen).
        if (e.type === 'locked') void refresh();
        else if (e.type !== 'connection' && e.type !== 'hello') void refresh(ALERT_EVENTS.has(e.type) ? 'alerts' : 'views');
      },
      (open) => {
        setOnline(open);
        if (open) void refresh();
      },
    );
    const tick = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(tick);
  }, [refresh]);

  const current = alerts.filter((a) => isCurrent(a, now)).length;
  useEffect(() => {
    document.title = current ? tr('app.titleCount', { count: current }) : tr('app.name');
  }, [current, lang]);

  // A new screen: focus its content, so keyboard and screen-reader users start there, not at the top.
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    document.getElementById('main')?.focus();
  }, [screen]);

  const onboarding = profile !== undefined && !profile.locked && (!profile.registered || groups.length === 0);
  let body;
  if (wiped) body = <p role="status">{tr('wipe.done')}</p>;
  else if (noSession && screen.name !== 'rights') body = <p role="alert">{tr('session.none')}</p>;
  else if (screen.name === 'rights') body = <Rights onClose={() => setScreen(screen.back)} />;
  else if (!profile) body = null;
  else if (profile.locked) body = <UnlockScreen name={profile.profile} onUnlocked={() => void refresh()} onWiped={() => setWiped(true)} />;
  else if (screen.name === 'new-group') body = <NewGroup defaultName={profile.displayName} onBack={() => setScreen(groups.length ? { name: 'groups' } : { name: 'board' })} onCreated={(id) => void refresh().then(() => setScreen({ name: 'group', id, tab: 'invites' }))} />;
  else if (onboarding)
    body = (
      <>
        <Onboarding
          onDone={(fingerprint) => {
            setJoined(fingerprint);
            void refresh();
          }}
        />
        {profile.registered && <CreateOffer onCreate={() => setScreen({ name: 'new-group' })} />}
      </>
    );
  else if (screen.name === 'alert')
    body = (
      <>
        <AlertScreen alert={alerts.find((a) => a.id === screen.id)} onBack={() => setScreen({ name: screen.back })} onChanged={() => void refresh()} />
        <AlertTools alert={alerts.find((a) => a.id === screen.id)} groups={groups} me={profile.accountId} />
      </>
    );
  else if (screen.name === 'history') body = <History alerts={alerts} now={now} onOpen={(id) => setScreen({ name: 'alert', id, back: 'history' })} />;
  else if (screen.name === 'groups')
    body = <Groups groups={groups} onSafety={(groupId) => setScreen({ name: 'safety', groupId })} onManage={(id) => setScreen({ name: 'group', id, tab: 'members' })} onNew={() => setScreen({ name: 'new-group' })} />;
  else if (screen.name === 'group') body = <GroupScreen id={screen.id} tab={screen.tab} tick={tick} onTab={(tab) => setScreen({ ...screen, tab })} onBack={() => setScreen({ name: 'groups' })} />;
  else if (screen.name === 'safety') body = <Safety group={groups.find((g) => g.id === screen.groupId)} onBack={() => setScreen({ name: 'groups' })} />;
  else if (screen.name === 'settings') body = <SettingsScreen lang={lang} setLang={setLang} settings={settings} setSettings={setSettings} profile={profile} onLocked={() => void refresh()} onWiped={() => setWiped(true)} />;
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
  else body = <Board alerts={alerts} now={now} onOpen={(id) => setScreen({ name: 'alert', id, back: 'board' })} onReport={() => setScreen({ name: 'report' })} />;

  return (
    <>
      <a class="skip" href="#main">
        {tr('app.skip')}
      </a>
      <header>
        <span class="brand">{tr('app.name')}</span>
        <button class="small" onClick={() => setLang(lang === 'es' ? 'en' : 'es')} title={tr('lang.change')} lang={lang === 'es' ? 'en' : 'es'}>
          {lang === 'es' ? tr('lang.en') : tr('lang.es')}
        </button>
        <button class="rights-btn" onClick={() => setScreen(screen.name === 'rights' ? screen : { name: 'rights', back: screen })}>
          <span aria-hidden="true">⚖️</span> {tr('rights.button')}
        </button>
      </header>
      {/* Below the header, full width: a long sentence (Spanish is longer) wraps here instead of pushing the header's buttons about. */}
      {!online && (
        <p class="banner offline" role="status">
          {tr('app.lostHost')}
        </p>
      )}
      {online && catchingUp !== undefined && (
        <p class="banner catching-up" role="status">
          {tr('app.catchingUp', { done: catchingUp })}
        </p>
      )}
      {profile && !profile.locked && !wiped && !onboarding && <Nav current={screen.name === 'alert' ? screen.back : screen.name === 'safety' || screen.name === 'group' || screen.name === 'new-group' ? 'groups' : screen.name} onGo={(name) => setScreen({ name })} />}
      <main id="main" tabIndex={-1}>
        {joined && !onboarding && !profile?.locked && screen.name === 'board' && <RelayChecked fingerprint={joined} onDismiss={() => setJoined(undefined)} />}
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

const root = document.getElementById('root')!;
render(<App />, root);
keepFocus(root, () => document.getElementById('main'));
