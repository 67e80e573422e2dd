import type { relayCli as en } from '../en/relay-cli.js';

// `aviso-relay` en español, para quien administra el servidor. Los comandos, opciones y variables
// de entorno se quedan igual; la explicación de cada variable sigue en inglés (se genera del código).
export const relayCli = {
  'relay.help.usage': 'Uso: aviso-relay <comando> [opciones]      (desde el repositorio: npm run relay -- <comando>)',
  'relay.help.commands':
    '  serve                      corre el servidor (npm start corre esto)\n' +
    '  info                       URL del servidor, huella de la raíz de confianza para publicar, totales y uso del disco\n' +
    '  backup <file>              escribe un respaldo del servidor en marcha (contiene sus claves privadas)\n' +
    '  restore <file>             restaura un respaldo en la carpeta de datos (con el servidor detenido)\n' +
    '  token create [options]     crea un código de registro\n' +
    '  token list                 muestra los códigos de registro vigentes\n' +
    '  token revoke <prefix>      cancela un código de registro',
  'relay.help.options': 'Opciones:',
  'relay.help.dataDir': '  --data-dir DIR        la carpeta de datos del servidor (por defecto: AVISO_DATA_DIR, si no, data)',
  'relay.help.help': '  -h, --help            muestra esta ayuda',
  'relay.help.version': '  --version             imprime la versión del servidor y el protocolo que habla',
  'relay.help.more': 'Corre "aviso-relay <comando> --help" para ver las opciones de un comando.',
  'relay.help.environment': 'Variables de entorno (en inglés):',
  'relay.help.exit': 'Código de salida: 0 bien, 1 falla, 2 uso o configuración incorrectos.',
  'relay.help.tokenUsage': 'Uso: aviso-relay token <create|list|revoke> [opciones]',
  'relay.help.tokenCommands':
    '  token create [--uses N] [--expires DURATION]   crea un código de registro\n' +
    '  token list                                     muestra los códigos de registro vigentes\n' +
    '  token revoke <prefix>                          cancela un código de registro',
  'relay.help.tokenMore': 'Corre "aviso-relay token <comando> --help" para ver los detalles.',

  'relay.usage.see': '{message} (ver "{help}")',
  'relay.usage.unknownOption': 'no existe la opción «{option}» antes del comando',
  'relay.usage.unknownCommand': 'no existe el comando «{command}»',
  'relay.usage.unknownTokenCommand': 'no existe el comando de token «{command}»',
  'relay.usage.uses': '--uses tiene que ser un número entero positivo, recibió «{text}»',
  'relay.usage.expires': '--expires tiene que ser como 7d, 24h, 30m o 3600s, recibió «{text}»',
  'relay.usage.onePrefix': 'token revoke lleva exactamente un prefijo del hash',
  'relay.usage.prefix': 'el prefijo tiene que tener de 4 a 64 dígitos hexadecimales, recibió «{prefix}»',
  'relay.token.created':
    'Código de registro para {uses, plural, one {# registro} other {# registros}}, vence {expires} (prefijo del hash {hash}). Entrégalo en privado; solo se muestra esta vez:',
  'relay.token.none': 'No hay códigos de registro vigentes.',
  'relay.token.line': '{hash}  uses-left={uses}  expires={expires}',
  'relay.token.revoked': 'cancelado {hash}',
  'relay.token.notFound': 'ningún hash de código empieza con «{prefix}» — ver "aviso-relay token list"',
  'relay.token.ambiguous': '«{prefix}» coincide con {count} códigos — da más dígitos',
  'relay.error.permission': 'permiso denegado{where} — córrelo como el usuario dueño de los archivos del servidor, o arregla sus permisos',
  'relay.error.diskFull': 'el disco está lleno{where} — libera espacio e inténtalo otra vez',
  'relay.error.readOnly': 'el sistema de archivos es de solo lectura{where} — el servidor tiene que poder escribir en su carpeta de datos',
  'relay.error.notFound': 'no se encontró el archivo o la carpeta{where}',
  'relay.error.damaged': 'la base de datos del servidor está dañada — restáurala de un respaldo (aviso-relay restore --help)',
  'relay.error.busy': 'la base de datos del servidor está ocupada (otro programa la tiene bloqueada) — inténtalo otra vez',
  'relay.error.unexpected': 'error inesperado: {reason}',
  'relay.error.setting': 'configuración inválida: {issues} — corrige la variable de entorno e inténtalo otra vez',
} as const satisfies Record<keyof typeof en, string>;
