import type { cliHelp as en } from '../en/cli-help.js';

// La ayuda de `aviso` en español. Los nombres de opciones (--name), los valores en mayúsculas (NAME,
// PATH) y los comandos se quedan igual: son lo que la persona escribe.
export const cliHelp = {
  'cli.help.usage': 'Uso: aviso <comando> [argumentos] [opciones]',
  'cli.help.usageOf': 'Uso: {usage}',
  'cli.help.commands': 'Comandos:',
  'cli.help.options': 'Opciones (de todos los comandos):',
  'cli.help.global':
    '--profile NAME   qué identidad usar (por defecto "default", o $AVISO_PROFILE)\n' +
    '--passphrase-file PATH  lee de PATH la contraseña de un perfil protegido (o de $AVISO_PASSPHRASE_FILE); si no, se pide en la terminal\n' +
    '--json           imprime un objeto JSON por línea (también los errores, en inglés: type "error", code, message)\n' +
    '-h, --help       muestra la ayuda (también después de un comando: aviso invite --help)\n' +
    '--version        imprime la versión de aviso y la del protocolo que habla',
  'cli.help.footer':
    'Los grupos y los miembros se nombran por título o nombre, por id, o por un prefijo único del id (4 o más caracteres);\n' +
    'las alertas, por id o prefijo único del id. Los perfiles están en $AVISO_HOME (por defecto: tu carpeta de datos + /aviso).\n' +
    'Idioma: AVISO_LANG=es o en (si no, LC_ALL, LC_MESSAGES, LANG). Código de salida: 0 bien, 1 falla, 2 error de uso.',

  'cli.cmd.register': 'crea la cuenta de este perfil en un servidor con un código de registro',
  'cli.cmd.register.details':
    'Quien administra el servidor crea los códigos con `npm run relay -- token create`.\n' +
    '--name NAME   el nombre que verán tus grupos (lo usa `group create`; `join` lo vuelve a pedir)',
  'cli.cmd.join': 'únete a un grupo con un código de invitación (registra este perfil si hace falta)',
  'cli.cmd.join.details': '--name NAME   tu nombre como lo ve el grupo; si no lo das, se pregunta en la terminal\nCon una invitación que pide aprobación quedas «pendiente» hasta que un organizador corre `aviso approve`.',
  'cli.cmd.verify': 'muestra el número de seguridad para compararlo en persona con un miembro',
  'cli.cmd.verify.details':
    '<member> es un nombre, un id de cuenta o un prefijo único del id, de cualquiera de tus grupos.\n' +
    'Comparen los 60 dígitos cara a cara o por llamada; si coinciden, córrelo otra vez con --mark para que\n' +
    'los envíos se detengan si su clave llega a cambiar.',
  'cli.cmd.accept': 'acepta el nuevo número de seguridad de un miembro después de que cambió, para que le vuelvan a llegar los mensajes',
  'cli.cmd.accept.details':
    '<member> es un nombre, un id de cuenta o un prefijo único del id, de cualquiera de tus grupos.\n' +
    'Cuando cambia la clave de un miembro (un teléfono nuevo, o alguien que se hace pasar por él), se le dejan de enviar mensajes.\n' +
    'Primero compara con esa persona el nuevo número de seguridad (`aviso verify <member>`), y luego acéptalo aquí.',

  'cli.cmd.groups': 'muestra tus grupos',
  'cli.cmd.groupCreate': 'crea un grupo privado contigo como organizador',
  'cli.cmd.groupCreate.details': '--name NAME            tu nombre como lo ven los miembros (por defecto: el que diste al registrarte o unirte)\n--announcements-only   solo los organizadores pueden mandar alertas',
  'cli.cmd.members': 'muestra los miembros de un grupo',
  'cli.cmd.members.details': 'Se marca un nombre que se parece al de otro miembro (una letra parecida, un carácter invisible): revisa el id.',
  'cli.cmd.remove': 'saca a un miembro de un grupo (organizadores)',
  'cli.cmd.remove.details': '--ban   además no le deja volver a entrar con una invitación',

  'cli.cmd.invite': 'crea un código de invitación (y lo muestra como código QR)',
  'cli.cmd.invite.details':
    '--uses N             cuántas personas pueden unirse con él (por defecto 1)\n' +
    '--expires DURATION   cuánto dura: 30m, 24h, 7d (por defecto 7d)\n' +
    '--approval           quienes se unan esperan a que un organizador corra `aviso approve`\n' +
    'El código trae también un código de registro, así que quien llega no necesita nada más: `aviso join <code>`.\n' +
    'Compártelo en privado: cualquiera que lo tenga puede unirse. Con --json no hay código QR.',
  'cli.cmd.requests': 'muestra quién espera aprobación para unirse',
  'cli.cmd.requests.details': 'Se marca un nombre que se parece al de un miembro o al de otra solicitud: revisa el id.',
  'cli.cmd.approve': 'deja entrar al grupo a alguien que espera (organizadores)',
  'cli.cmd.deny': 'rechaza una solicitud para unirse (organizadores)',
  'cli.cmd.deny.details': '--ban   además no le deja volver a pedirlo',

  'cli.cmd.alert': 'manda una alerta a todos los miembros de un grupo',
  'cli.cmd.alert.details':
    '--kind KIND          {kinds} (también en español: redada, retén, patrulla, vieron-agentes, otro)\n' +
    '--severity LEVEL     {severities} (también: muy-grave, urgente, aviso)\n' +
    '--title TEXT         qué está pasando (como máximo {titleChars} caracteres)\n' +
    '--place TEXT         dónde (como máximo {placeChars} caracteres)\n' +
    '--body TEXT          los detalles\n' +
    '--expires DURATION   cuánto tiempo sigue vigente: 30m, 4h (por defecto), 2d; como máximo 7d\n' +
    '--ack                pide a los miembros que respondan (visto / voy en camino / en el lugar / no puedo)\n' +
    'Imprime solo el id de la alerta en la salida estándar.',
  'cli.cmd.alerts': 'muestra las alertas vigentes con sus respuestas',
  'cli.cmd.alerts.details': 'Primero las más graves, luego las más nuevas. Las vencidas ya no aparecen; las retiradas se marcan.',
  'cli.cmd.ack': 'responde a una alerta',
  'cli.cmd.ack.details': '<alert> es el id de una alerta o un prefijo único de él (ver `aviso alerts`).\nLa respuesta también va en español: visto, voy-en-camino (o en-camino), en-el-lugar, no-puedo.',
  'cli.cmd.confirm': 'confirma una alerta (tú también lo viste)',
  'cli.cmd.dispute': 'pon en duda una alerta (algo no cuadra)',
  'cli.cmd.retract': 'retira una alerta (quien la mandó o un organizador)',
  'cli.cmd.allClear': 'avisa que ya pasó el peligro de una alerta (quien la mandó o un organizador)',
  'cli.cmd.say': 'manda un mensaje de texto a un grupo',

  'cli.cmd.listen': 'quédate conectado y ve las alertas en vivo (Ctrl-C para salir)',
  'cli.cmd.listen.details':
    'En una terminal: un tablero en vivo, lo más grave primero, con lugar, hace cuánto, respuestas, y marcas de retirada y vencida.\n' +
    'Redirigido: una línea por evento. --json: un objeto por evento, cada uno con un "type" (abajo).\n' +
    'Si `aviso app` tiene el perfil abierto, listen se detiene con PROFILE_BUSY: la app muestra las mismas alertas.\n' +
    'Si `aviso app` toma este perfil, listen imprime handed-over y termina con código 0.',
  'cli.cmd.app': 'abre la app de Aviso en tu navegador (Ctrl-C para salir)',
  'cli.cmd.app.details':
    'Sirve la app solo en 127.0.0.1 e imprime una línea: aviso app ready at http://127.0.0.1:PORT/#k=TOKEN\n' +
    'El token de esa dirección sirve una sola vez: la página lo cambia por una cookie de sesión. Cambia cada vez que inicia.\n' +
    '--port N      el puerto donde escucha (por defecto 0: uno libre)\n' +
    '--no-open     no abre el navegador (solo imprime la dirección)\n' +
    '--lang es|en  el idioma con que abre la app (la app recuerda lo que elijas ahí)\n' +
    'Si todavía no tienes cuenta, la app abre en unirte a un grupo. docs/app.md explica cómo se protege.\n' +
    'Si `aviso listen` está corriendo en este perfil, le pasa el perfil a la app y se detiene.',

  'cli.cmd.passphraseSet': 'protege este perfil con una contraseña (sus datos se guardan cifrados)',
  'cli.cmd.passphraseSet.details':
    'Pide la nueva contraseña dos veces, sin mostrarla; --new-passphrase-file PATH la lee de un archivo.\n' +
    'Desde entonces cada comando la pide (o la lee de --passphrase-file / AVISO_PASSPHRASE_FILE).\n' +
    'No hay forma de recuperarla: si la olvidas, pierdes el perfil (bórralo y vuelve a unirte).',
  'cli.cmd.passphraseChange': 'cambia la contraseña de este perfil',
  'cli.cmd.passphraseChange.details':
    'Pide la contraseña actual (o la lee de --passphrase-file / AVISO_PASSPHRASE_FILE), luego la nueva\n' +
    'dos veces sin mostrarla (o --new-passphrase-file PATH). Solo se reescribe la clave protegida.',
  'cli.cmd.wipe': 'destruye este perfil para siempre: primero sus claves, luego sus archivos (no se puede deshacer)',
  'cli.cmd.wipe.details':
    'Te pide escribir el nombre del perfil para confirmar; --yes se lo salta (scripts, un botón de pánico).\n' +
    'No necesita contraseña. Primero se destruyen las claves, así que aunque alguien sepa después la\n' +
    'contraseña no puede descifrar nada; luego se sobrescriben los archivos y se borra la carpeta.\n' +
    'Detén antes `aviso listen` o `aviso app` en el perfil. Tus grupos no se enteran.',
} as const satisfies Record<keyof typeof en, string>;
