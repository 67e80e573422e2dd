// Los comandos de la CLI para un dispositivo incautado (packages/cli/src/catalog/device.ts, commands/device.ts):
// la frase de coacción, los perfiles con archivo de clave, el borrado tras días sin desbloquear.
export const device = {
  'device.duressSet.summary': 'define una frase de coacción: abre un perfil vacío y destruye este',
  'device.duressSet.details':
    'Pide la frase de contraseña actual (o la lee de --passphrase-file / AVISO_PASSPHRASE_FILE) y luego la frase\nde coacción dos veces, sin mostrarla (o --duress-passphrase-file RUTA). Desde entonces, desbloquear con la\nfrase de coacción (en una terminal, un archivo o la app) se ve y tarda lo mismo que un desbloqueo normal,\npero reemplaza este perfil por uno vacío y destruye su clave: nada puede recuperarlo.\nDestruir datos puede tener riesgos legales donde vives (por ejemplo, si un dispositivo está bajo orden judicial):\nlee la guía antes de definirla. Los archivos no muestran si hay una definida.',
  'device.duressClear.summary': 'quita la frase de coacción de este perfil',
  'device.duressClear.details': 'Pide la frase de contraseña actual (o la lee de --passphrase-file / AVISO_PASSPHRASE_FILE).\nDespués, la antigua frase de coacción es solo una frase equivocada.',
  'device.duressSet.done': 'el perfil "{profile}" tiene una frase de coacción: escrita en lugar de la frase de contraseña, abre un perfil vacío y destruye este para siempre',
  'device.duressClear.done': 'el perfil "{profile}" ya no tiene frase de coacción',
  'device.duress.prompt': 'frase de coacción: ',
  'device.duress.promptAgain': 'la misma frase de coacción otra vez: ',
  'device.duress.terminal': 'la frase de coacción se escribe en una terminal, o se da con --duress-passphrase-file RUTA',
  'device.duress.empty': 'no escribiste ninguna frase de coacción',
  'device.duress.differ': 'las dos frases de coacción no coinciden — no se cambió nada; inténtalo otra vez',
  'device.duress.conflict': 'la frase de coacción debe ser distinta de la frase de contraseña del perfil "{profile}" — no se cambió nada',
  'device.duress.needsPassphrase': 'el perfil "{profile}" aún no tiene frase de contraseña — define una primero con `aviso passphrase set`',
  'device.duress.keyFile': 'el perfil "{profile}" está cifrado con un archivo de clave, no con una frase: la frase de coacción necesita una frase de contraseña',
  'device.passphrase.subcommand': 'passphrase necesita un subcomando: `aviso passphrase set`, `aviso passphrase change`, `aviso passphrase duress set` o `aviso passphrase duress clear`',
  'device.keyFile.option': '--key-file RUTA   abre un perfil cifrado con un archivo de clave (o $AVISO_KEY_FILE): para bots sin supervisión',
  'device.keyFile.required': 'el perfil "{profile}" está cifrado con un archivo de clave — da --key-file RUTA (o AVISO_KEY_FILE)',
  'device.keyFile.notThatKind': 'el perfil "{profile}" está protegido con una frase de contraseña, no con un archivo de clave — quita --key-file / AVISO_KEY_FILE',
  'device.wipeAfter.summary': 'borra este perfil si no se desbloquea en DÍAS días (o desactiva eso)',
  'device.wipeAfter.details': 'aviso passphrase wipe-after DÍAS (de 1 a 365) u off. Se revisa cada vez que un comando o la app abre el\nperfil, antes de pedir la frase, y cada hora en un `aviso app` bloqueado: pasados los días, el perfil se\nborra como con `aviso wipe`. El ajuste y la hora del último desbloqueo se guardan sin cifrar junto al\nalmacén (hay que leerlos antes de desbloquear). No alcanza a una copia del disco.',
  'device.wipeAfter.on': 'el perfil "{profile}" se borrará si no se desbloquea en {days, plural, one {# día} other {# días}}',
  'device.wipeAfter.off': 'el perfil "{profile}" no se borrará por falta de uso',
  'device.wipeAfter.bad': 'da los días como un número entero de 1 a 365, u off',
} as const;
