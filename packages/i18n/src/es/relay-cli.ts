import type { relayCli as en } from '../en/relay-cli.js';

// `aviso-relay` en español, para quien administra el servidor. Los comandos, opciones y variables
// de entorno se quedan igual, y también las líneas que leen los programas (la de arranque, --json).
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
  'relay.help.environment': 'Variables de entorno:',
  'relay.help.exit': 'Código de salida: 0 bien, 1 falla, 2 uso o configuración incorrectos.',
  'relay.help.tokenUsage': 'Uso: aviso-relay token <create|list|revoke> [opciones]',
  'relay.help.tokenCommands':
    '  token create [--uses N] [--expires DURATION]   crea un código de registro\n' +
    '  token list                                     muestra los códigos de registro vigentes\n' +
    '  token revoke <prefix>                          cancela un código de registro',
  'relay.help.tokenMore': 'Corre "aviso-relay token <comando> --help" para ver los detalles.',

  'relay.help.serveUsage': 'Uso: aviso-relay serve [--data-dir DIR]',
  'relay.help.serveAbout':
    'Corre el servidor. Imprime "aviso relay listening on http://HOST:PORT" en stdout (siempre así, en\n' +
    'inglés, para los programas que la esperan) cuando ya acepta conexiones; los registros (líneas JSON,\n' +
    'nunca direcciones IP) van a stderr. Antes aplica las migraciones pendientes de la base de datos.\n' +
    'SIGINT (Ctrl-C) o SIGTERM lo detienen limpiamente. Solo un servidor puede usar una carpeta de datos:\n' +
    'toma <carpeta de datos>/relay.lock, que el sistema libera cuando el proceso termina, aunque lo maten.',
  'relay.help.infoUsage': 'Uso: aviso-relay info [--json] [--data-dir DIR]',
  'relay.help.infoAbout':
    'Muestra qué publicar y qué vigilar, leyendo la carpeta de datos (funciona con el servidor en marcha):\n' +
    '  URL del servidor    donde serve escucha con esta configuración\n' +
    '  versión del protocolo\n' +
    '  raíz de confianza   la clave pública de la raíz de confianza, como la da GET /v1/relay (base64)\n' +
    '  SHA-256 de la raíz  SHA-256 de los 33 bytes de esa clave, en hex. Publícalo: los miembros lo comparan con\n' +
    '                      curl -s https://RELAY/v1/relay | jq -r .trustRoot | base64 -d | sha256sum\n' +
    '                      y los códigos de invitación llevan el mismo hash (base64url, la segunda forma).\n' +
    '  huella              el mismo hex en 4 líneas de 4 grupos de 4, como lo muestran a los miembros\n' +
    '                      la app y `aviso register`: imprime o léeles estas líneas\n' +
    '  totales             cuentas, dispositivos, grupos, sobres en cola, códigos vigentes; nunca un id\n' +
    '  uso del disco       bytes de todos los archivos de la carpeta de datos',
  'relay.help.json': '  --json                imprime un solo objeto JSON (en inglés)',
  'relay.help.backupUsage': 'Uso: aviso-relay backup <file> [--force] [--data-dir DIR]',
  'relay.help.backupAbout':
    'Escribe un respaldo coherente del servidor en <file>, también con el servidor en marcha. El archivo\n' +
    'tiene la base de datos Y las claves privadas del servidor (relay-keys.json): sin ellas, un servidor\n' +
    'restaurado tiene otra raíz de confianza y todos los miembros lo rechazan; con ellas, cualquiera puede\n' +
    'hacerse pasar por el servidor. Se escribe con modo 0600. Guárdalo cifrado y fuera de línea.\n' +
    '\n' +
    'Formato: línea 1 "AVISO-RELAY-BACKUP 1", línea 2 un encabezado JSON (fecha de creación, claves del\n' +
    'servidor, tamaño y SHA-256 de la base de datos), y luego la base de datos SQLite byte por byte. Con\n' +
    'bases de datos grandes se muestra el avance.',
  'relay.help.backupForce': '  --force               reemplaza <file> si ya existe',
  'relay.help.restoreUsage': 'Uso: aviso-relay restore <file> [--force] [--data-dir DIR]',
  'relay.help.restoreAbout':
    'Restaura en la carpeta de datos un respaldo hecho con "aviso-relay backup". Detén el servidor antes:\n' +
    'restore se niega mientras un servidor usa esa carpeta. No reemplaza datos del servidor que ya existan\n' +
    'si no le pasas --force. El respaldo se revisa completo (tamaño, SHA-256, revisión de integridad de\n' +
    'SQLite, claves del servidor) antes de reemplazar nada; si algún paso falla, la carpeta queda como estaba.',
  'relay.help.restoreForce': '  --force               reemplaza los datos del servidor que ya estén en la carpeta',
  'relay.help.tokenCreateUsage': 'Uso: aviso-relay token create [--uses N] [--expires DURATION] [--data-dir DIR]',
  'relay.help.tokenCreateAbout':
    'Crea un código de registro y lo imprime solo, en la última línea de stdout. El servidor guarda solo su\n' +
    'hash SHA-256, así que el código no se puede volver a mostrar.',
  'relay.help.uses': '  --uses N              cuántos registros permite (por defecto 1)',
  'relay.help.expires': '  --expires DURATION    duración: 7d, 24h, 30m o 3600s (por defecto 7d)',
  'relay.help.tokenListUsage': 'Uso: aviso-relay token list [--data-dir DIR]',
  'relay.help.tokenListAbout': 'Muestra los códigos vigentes: prefijo del hash (para revoke), usos que quedan, vencimiento (UTC).',
  'relay.help.tokenRevokeUsage': 'Uso: aviso-relay token revoke <prefix> [--data-dir DIR]',
  'relay.help.tokenRevokeAbout': 'Cancela el código cuyo hash empieza con <prefix> (de 4 a 64 dígitos hexadecimales, como los muestra "token list").',

  'relay.setting.AVISO_HOST': 'dirección donde escucha',
  'relay.setting.AVISO_PORT': 'puerto donde escucha (0 = cualquier puerto libre)',
  'relay.setting.AVISO_DATA_DIR': 'carpeta de datos (base de datos y claves del servidor); npm corre desde la raíz del repositorio',
  'relay.setting.AVISO_LOG_LEVEL': 'error, warn, info o debug',
  'relay.setting.AVISO_QUEUE_TTL_DAYS': 'días que se guarda un sobre sin entregar (1-90)',
  'relay.setting.AVISO_QUEUE_MAX_PER_DEVICE': 'sobres en cola por dispositivo; pasado el límite se descartan los más viejos',
  'relay.setting.AVISO_SENDER_CERT_TTL_HOURS': 'duración de los certificados de remitente (1-168)',
  'relay.setting.AVISO_WS_PING_SECONDS': 'intervalo de keepalive del WebSocket',
  'relay.setting.AVISO_KEYS_RATE_CAPACITY': 'pedidos de prekeys por solicitante y dispositivo, de una vez',
  'relay.setting.AVISO_KEYS_RATE_REFILL_SECONDS': 'un pedido de prekeys más cada N segundos',
  'relay.setting.AVISO_KEYS_REQUESTER_RATE_CAPACITY': 'pedidos de prekeys por solicitante, a cualquier destino, de una vez',
  'relay.setting.AVISO_KEYS_REQUESTER_RATE_REFILL_SECONDS': 'uno más de esos cada N segundos',
  'relay.setting.AVISO_KEYS_GROUP_RATE_CAPACITY': 'pedidos de prekeys de una cuenta con tokens de envío de grupo, de una vez',
  'relay.setting.AVISO_KEYS_GROUP_RATE_REFILL_SECONDS': 'uno más de esos cada N segundos',
  'relay.setting.AVISO_SEND_RATE_CAPACITY': 'envíos por remitente y destino, de una vez',
  'relay.setting.AVISO_SEND_RATE_REFILL_SECONDS': 'un envío más cada N segundos',
  'relay.setting.AVISO_MEMBER_TOKENS_PER_DAY': 'registros que cada miembro puede habilitar por día (0 = ninguno)',
  'relay.setting.AVISO_REGISTER_RATE_CAPACITY': 'registros en todo el servidor, de una vez',
  'relay.setting.AVISO_REGISTER_RATE_REFILL_SECONDS': 'un registro más cada N segundos',
  'relay.setting.AVISO_MAX_CONNECTIONS': 'conexiones TCP abiertas',
  'relay.setting.AVISO_WS_MAX_CONNECTIONS': 'WebSockets abiertos',
  'relay.setting.AVISO_WS_MAX_BUFFERED_KIB': 'KiB en cola hacia un socket que no lee, antes de cortarlo',
  'relay.setting.AVISO_HEADERS_TIMEOUT_SECONDS': 'tiempo que tiene un cliente para mandar los encabezados de su pedido',
  'relay.setting.AVISO_REQUEST_TIMEOUT_SECONDS': 'tiempo que tiene un cliente para mandar su pedido completo',
  'relay.setting.AVISO_WAL_CHECKPOINT_SECONDS': 'las filas borradas salen del registro de escritura anticipada (WAL) en N segundos',
  'relay.setting.AVISO_METRICS_PORT': 'sirve métricas de Prometheus en este puerto (sin definir = apagado; 0 = cualquier puerto libre)',
  'relay.setting.AVISO_METRICS_HOST': 'dirección donde escucha el puerto de métricas',

  'relay.usage.unknownOptionOf': 'no existe la opción {option}',
  'relay.usage.missingValue': 'a la opción {option} le falta su valor',
  'relay.usage.noValue': 'la opción {option} no lleva valor',
  'relay.usage.unexpected': 'sobra el argumento {argument}: este comando no lleva argumentos sueltos',
  'relay.usage.backupOneFile': 'backup lleva exactamente un nombre de archivo: aviso-relay backup <file>',
  'relay.usage.restoreOneFile': 'restore lleva exactamente un archivo de respaldo: aviso-relay restore <file>',
  'relay.warning.unknownSetting': 'advertencia: {name} no es una configuración del servidor y se ignora — {hint}',
  'relay.warning.didYouMean': '¿quisiste decir {suggestion}?',
  'relay.warning.seeHelp': 'ver "aviso-relay --help" para las configuraciones',

  'relay.serve.tokenHint': 'Crea un código de registro con: npm run relay -- token create --uses 1 --expires 7d',
  'relay.serve.busy': 'ya hay un servidor usando {dir} (o una restauración en curso) — detenlo primero',
  'relay.serve.keysMissing':
    'falta {keys}, pero la base de datos tiene {accounts, plural, one {# cuenta} other {# cuentas}} — restaura las claves del servidor de un respaldo; con claves nuevas todos los miembros rechazarían este servidor',
  'relay.serve.metricsPortBusy': 'el puerto de métricas {port} en {host} ya está en uso — detén el programa que lo usa o define AVISO_METRICS_PORT',
  'relay.serve.portBusy': 'el puerto {port} en {host} ya está en uso — detén el programa que lo usa o define AVISO_PORT',
  'relay.serve.noAddress': 'esta máquina no tiene la dirección {host} — corrige AVISO_HOST',
  'relay.serve.portDenied': 'no se permite escuchar en el puerto {port} — usa un puerto mayor que 1023 (AVISO_PORT) detrás de un proxy inverso',
  'relay.serve.damaged': '{file} está dañado o no es una base de datos — restáuralo de un respaldo (aviso-relay restore --help)',

  'relay.data.none': 'no hay datos del servidor en {dir} — define AVISO_DATA_DIR o --data-dir con la carpeta de datos del servidor',
  'relay.data.keysMissing': 'falta {path} — restáuralo de un respaldo: sin él, los miembros rechazan este servidor',
  'relay.data.keysDamaged': '{path} está dañado ({reason}) — restáuralo de un respaldo',
  'relay.db.notADatabase': '{file} está dañado o no es una base de datos — restáuralo de un respaldo',
  'relay.db.notRelay': '{file} no es una base de datos de un servidor Aviso',
  'relay.db.newer': '{file} viene de un aviso-relay más nuevo (esquema de base de datos más nuevo) — {upgrade}',
  'relay.db.newerLevel':
    '{file} viene de un aviso-relay más nuevo: tiene la versión {database} del esquema de base de datos y este aviso-relay conoce hasta la versión {known} — {upgrade} (un Aviso con la versión {database} del esquema o posterior)',
  'relay.db.integrity': '{file} no pasó la revisión de integridad de SQLite ({detail}) — restáuralo de un respaldo',
  'relay.upgrade.use': 'actualiza Aviso para usarlo',
  'relay.upgrade.orRestore': 'actualiza Aviso para usarlo, o restaura el respaldo que hiciste antes de la actualización',
  'relay.upgrade.thenRestore': 'actualiza Aviso y luego restaura',

  'relay.info.url': 'URL del servidor',
  'relay.info.urlNote': '(donde escucha serve; los miembros usan tu dirección pública https://)',
  'relay.info.dataDir': 'carpeta de datos',
  'relay.info.serving': '(un servidor la está usando)',
  'relay.info.notServing': '(ningún servidor la está usando)',
  'relay.info.protocol': 'versión del protocolo',
  'relay.info.trustRoot': 'raíz de confianza',
  'relay.info.trustRootNote': '(trustRoot en GET /v1/relay)',
  'relay.info.sha': 'SHA-256 de la raíz',
  'relay.info.shaNote': '(publica esto; los miembros lo fijan)',
  'relay.info.invite': '  en las invitaciones',
  'relay.info.fingerprint': 'huella',
  'relay.info.fingerprintNote': '(lo que comparan los miembros)',
  'relay.info.accounts': 'cuentas',
  'relay.info.devices': 'dispositivos',
  'relay.info.groups': 'grupos',
  'relay.info.queued': 'sobres en cola',
  'relay.info.tokens': 'códigos vigentes',
  'relay.info.disk': 'uso del disco',
  'relay.info.diskValue': '{size} ({bytes} bytes)',

  'relay.backup.noFolder': 'la carpeta {folder} no existe — créala o elige otro archivo de respaldo',
  'relay.backup.isFolder': '{file} es una carpeta — da un nombre de archivo para el respaldo',
  'relay.backup.exists': '{file} ya existe — elige otro nombre o pasa --force para reemplazarlo',
  'relay.backup.integrity': 'la base de datos del servidor no pasó su revisión de integridad ({detail}) — no se escribió ningún respaldo; detén el servidor y restaura un respaldo anterior',
  'relay.backup.warning': 'ATENCIÓN: {file} contiene las CLAVES PRIVADAS del servidor. Guárdalo cifrado y fuera de línea; quien lo tenga puede hacerse pasar por este servidor.',
  'relay.backup.done': 'Respaldo hecho: {accounts} cuentas, {groups} grupos, {queued} sobres en cola ({size}); SHA-256 de la raíz de confianza {hash}.',
  'relay.progress.line': '{step}: {percent}% ({done} de {total})',
  'relay.progress.copying': 'copiando la base de datos',
  'relay.progress.writing': 'escribiendo el archivo de respaldo',
  'relay.progress.reading': 'leyendo el respaldo',

  'relay.restore.done': 'Se restauró el respaldo del {createdAt} en {dir}{replaced}: {accounts} cuentas, {groups} grupos, {queued} sobres en cola.',
  'relay.restore.replaced': ' (se reemplazaron los datos anteriores)',
  'relay.restore.check': 'SHA-256 de la raíz de confianza {hash}: revisa que sea el que publicaste y luego arranca el servidor (npm start).',
  'relay.restore.busy': 'hay un servidor usando {dir} — detenlo primero y luego restaura',
  'relay.restore.hasData': '{dir} ya tiene datos del servidor ({files}) — pasa --force para reemplazarlos, después de respaldarlos',
  'relay.restore.short': 'el archivo de respaldo {file} está cortado o dañado ({size} de {total} bytes de la base de datos) — no se cambió nada',
  'relay.restore.checksum': 'el archivo de respaldo {file} está dañado (la suma de verificación no coincide) — no se cambió nada',
  'relay.restore.badKeys': 'el archivo de respaldo {file} tiene claves del servidor inservibles ({reason}) — no se cambió nada',
  'relay.restore.notFound': 'no se encontró el archivo de respaldo {file}',
  'relay.restore.isFolder': '{file} es una carpeta, no un archivo de respaldo',
  'relay.restore.newerFormat': 'el archivo de respaldo {file} lo escribió un aviso-relay más nuevo — actualiza Aviso y luego restaura',
  'relay.restore.badHeader': 'el archivo de respaldo {file} está dañado (no se puede leer el encabezado) — no se cambió nada',
  'relay.restore.notBackup': '{file} no es un respaldo de aviso-relay',
  'relay.restore.truncated': 'el archivo de respaldo {file} está cortado ({size} bytes, se esperaban {expected}) — no se cambió nada',
  'relay.restore.wrongSize': 'el archivo de respaldo {file} está dañado ({size} bytes, se esperaban {expected}) — no se cambió nada',
  'relay.restore.unreadable': 'el archivo de respaldo {file} está dañado ({reason}) — no se cambió nada',
  'relay.restore.integrity': 'el archivo de respaldo {file} está dañado (revisión de integridad de SQLite: {detail}) — no se cambió nada',
  'relay.restore.newerSchema': 'el archivo de respaldo {file} viene de un aviso-relay más nuevo (esquema de base de datos más nuevo) — actualiza Aviso y luego restaura',

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
