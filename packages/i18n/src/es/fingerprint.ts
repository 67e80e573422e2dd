// La huella del servidor: el paso «Revisar servidor» del registro, la nota de la invitación, Ajustes,
// y `aviso register` / `aviso fingerprint` en la terminal (packages/app/src/fingerprint.tsx, packages/cli).
export const fingerprint = {
  'fp.check': 'Revisar servidor',
  'fp.checking': 'Revisando…',
  'fp.title': 'Compara la huella del servidor',
  'fp.relay': 'Dirección del servidor: {url}',
  'fp.compare': 'Compárala con la huella que te dio tu organizador o quien administra el servidor. Si algún grupo es distinto, detente.',
  'fp.digits': 'Huella del servidor: 16 grupos de 4 caracteres, en 4 líneas',
  'fp.matches': 'Coincide, registrarme',
  'fp.registering': 'Registrando…',
  'fp.mismatch': 'El servidor respondió con una huella distinta a la que revisaste. No se registró nada. Detente y pregúntale a tu organizador.',
  'fp.notRelay': 'Esa dirección no responde como un servidor de Aviso. Revisa la dirección con tu organizador.',
  'fp.down': 'No se puede llegar a un servidor en esa dirección. Revisa la dirección o inténtalo más tarde.',
  'fp.invite.checked': 'Aviso comparó este servidor con la huella de tu invitación: coincide.',
  'fp.invite.show': 'Ver la huella del servidor',
  'fp.dismiss': 'Entendido',
  'fp.settings.title': 'Huella del servidor',
  'fp.settings.note': 'Tu cuenta está ligada a este servidor. Tu organizador o quien administra el servidor te puede leer la suya: todos los grupos deben coincidir.',
  'cli.fp.help.summary': 'muestra la huella del servidor para compararla con la de tus organizadores (la de este perfil, o la de un servidor antes de registrarte)',
  'cli.fp.help.details':
    'Sin dirección: la huella del servidor donde está registrado este perfil (la que guardó).\n' +
    'Con una dirección: la huella de ese servidor, leída antes de registrarte (no se abre ningún perfil).\n' +
    'Son los mismos 16 grupos de 4 que imprime `aviso-relay info`; si algún grupo es distinto, detente.',
  'cli.fp.help.register':
    '--fingerprint HEX    la huella del servidor que te dieron tus organizadores (`aviso-relay info`): solo\n' +
    '                     registra si el servidor la tiene (mírala antes con `aviso fingerprint <relay-url>`)\n' +
    'Imprime el id de la cuenta y la huella del servidor que guardó.',
  'cli.fp.usage.fingerprint': '--fingerprint lleva los 64 dígitos hexadecimales que te dieron tus organizadores (puedes dejar espacios entre los grupos)',
  'cli.fp.pinned': 'huella del servidor (la que guardó este perfil):',
  'cli.fp.fetched': 'huella del servidor en {url}:',
  'cli.fp.compare': 'compárala con la que te dio tu organizador o quien administra el servidor; si algún grupo es distinto, detente',
  'cli.fp.checked': 'coincide con la huella que diste con --fingerprint',
  'cli.fp.registered': 'perfil «{profile}» registrado en {url} con la cuenta {account}',
} as const;
