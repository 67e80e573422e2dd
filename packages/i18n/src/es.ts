import type { en } from './en.js';
import { joinPage } from './es/join-page.js';
import { session } from './es/session.js';
import { member } from './es/member.js';
import { organiser } from './es/organiser.js';
import { lock } from './es/lock.js';
import { cliHelp } from './es/cli-help.js';
import { cliCommands } from './es/cli-commands.js';
import { cliErrors } from './es/cli-errors.js';
import { cliBoard } from './es/cli-board.js';
import { relayCli } from './es/relay-cli.js';
import { fingerprint } from './es/fingerprint.js';
import { cliRobust } from './es/cli-robust.js';
import { device } from './es/device.js';

// Spanish for Spanish-first workers in Los Angeles: plain words, "tú", no legal jargon. Same keys and
// placeholders as en.ts (test/catalog.test.ts checks). Fixed labels ("Visto", "Voy en camino",
// "En el lugar", "No puedo", "Enviar alerta", "Unirme") are relied on by guides and tests.
export const es = {
  ...joinPage,
  ...session,
  ...member,
  ...organiser,
  ...lock,
  ...cliHelp,
  ...cliCommands,
  ...cliErrors,
  ...cliBoard,
  ...relayCli,
  ...fingerprint,
  ...cliRobust,
  ...device,
  'app.name': 'Aviso',
  'app.skip': 'Ir al contenido',
  'app.connection.open': 'Conectado',
  'app.connection.connecting': 'Conectando…',
  'app.connection.closed': 'Sin conexión, intentando otra vez',
  'app.catchingUp': 'Poniéndote al día con lo que llegó mientras esta computadora estaba desconectada: {done, plural, one {# mensaje} other {# mensajes}} hasta ahora…',
  'app.lostHost': 'La app de Aviso en esta computadora se detuvo. Vuelve a abrirla con: npm run app',
  'app.back': 'Volver',
  'app.error': 'Algo salió mal: {message}',

  'lang.title': 'Elige tu idioma',
  'lang.es': 'Español',
  'lang.en': 'English',
  'lang.change': 'Idioma',

  'onboard.title': 'Únete a tu grupo',
  'onboard.intro': 'Pega el enlace o código de invitación que te mandó tu organizador, y el nombre que verá tu grupo.',
  'onboard.invite': 'Enlace o código de invitación',
  'onboard.name': 'Tu nombre (el que ve tu grupo)',
  'onboard.join': 'Unirme',
  'onboard.joining': 'Uniéndote…',
  'onboard.pending': 'Pediste unirte a «{group}». Un organizador tiene que aprobarte primero.',
  'onboard.or': 'O, si tu organizador te dio una dirección de servidor y un código de registro:',
  'onboard.register.title': 'Registrarte con un código',
  'onboard.relay': 'Dirección del servidor',
  'onboard.token': 'Código de registro',
  'onboard.register': 'Registrarme',
  'onboard.registered': 'Listo, ya tienes cuenta. Ahora únete a un grupo con una invitación.',
  'onboard.fingerprint': 'Tu cuenta: {id}',

  'board.title': 'Alertas',
  'board.empty': 'No hay alertas ahora.',
  'board.noGroups': 'Todavía no estás en ningún grupo.',
  'board.report': 'Reportar',
  'board.count': '{count, plural, =0 {No hay alertas} one {# alerta} other {# alertas}}',
  'board.from': 'De {name}',
  'board.fromRole': 'De {name} ({role})',
  'board.unknownSender': 'alguien del grupo',
  'board.retracted': 'Retirada',
  'board.allClear': 'Ya pasó el peligro',
  'board.confirmed': '{count, plural, one {# lo confirmó} other {# lo confirmaron}}',
  'board.disputed': '{count, plural, one {# lo duda} other {# lo dudan}}',

  'age.now': 'ahora mismo',

  'severity.critical': 'Muy grave',
  'severity.urgent': 'Urgente',
  'severity.info': 'Aviso',

  'kind.raid': 'Redada',
  'kind.checkpoint': 'Retén',
  'kind.sighting': 'Vieron agentes',
  'kind.patrol': 'Patrulla',
  'kind.other': 'Otro',

  'role.admin': 'organizador',
  'role.member': 'miembro',

  'alert.title': 'Alerta',
  'alert.place': 'Lugar',
  'alert.coords': 'Coordenadas',
  'alert.copy': 'Copiar coordenadas',
  'alert.copied': 'Copiado',
  'alert.group': 'Grupo',
  'alert.sent': 'Enviada',
  'alert.answer': 'Tu respuesta',
  'alert.answered': 'Respondiste: {status}',
  'alert.verdict': '¿Tú también lo viste?',
  'alert.note': 'Nota (si quieres)',
  'alert.confirm': 'Confirmar',
  'alert.dispute': 'No es cierto',
  'alert.verdictSent': 'Enviado. Gracias.',
  'alert.gone': 'Esta alerta ya no está vigente.',
  'alert.rollcall': '{seen} la vieron · {onMyWay} van en camino · {onScene} en el lugar · {cannot} no pueden',

  'ack.seen': 'Visto',
  'ack.on-my-way': 'Voy en camino',
  'ack.on-scene': 'En el lugar',
  'ack.cannot': 'No puedo',

  'report.title': 'Reporta lo que ves',
  'report.kind': '¿Qué está pasando?',
  'report.place': '¿Dónde?',
  'report.placeHint': 'Calle y esquina, o el nombre del lugar',
  'report.group': 'Mandar a',
  'report.severity': '¿Qué tan urgente?',
  'report.send': 'Enviar alerta',
  'report.sending': 'Enviando…',
  'report.sent': 'Alerta enviada.',

  'rights.button': 'Conoce tus derechos',
  'rights.title': 'Conoce tus derechos',
  'rights.intro': 'Tarjetas cortas para momentos difíciles. Funcionan sin internet. Es información general, no es consejo legal.',
  'rights.always.title': 'Siempre',
  'rights.always.body': 'Tienes derecho a quedarte callado. Puedes decir: «Quiero guardar silencio. Quiero hablar con un abogado». No mientas y no muestres papeles falsos. No firmes nada que no entiendas, ni nada en un idioma que no lees. Mantén la calma y deja las manos a la vista. No corras.',
  'rights.home.title': 'Agentes en la puerta de tu casa',
  'rights.home.body': 'No abras la puerta. Pide que te enseñen la orden por la ventana o que la pasen por debajo de la puerta. Solo una orden firmada por un juez, con tu dirección, les permite entrar. Un formulario de inmigración firmado por un oficial no basta. Si entran de todos modos, di: «No doy permiso para este registro». Quédate callado y no firmes.',
  'rights.work.title': 'Agentes en el trabajo (un car wash, una tienda, una obra)',
  'rights.work.body': 'Puedes quedarte callado, y no tienes que decir dónde naciste ni cuál es tu situación migratoria. No corras. Los agentes necesitan permiso del dueño o una orden de un juez para entrar a las áreas privadas. Pregunta: «¿Me puedo ir?». Si te dicen que sí, vete con calma. No firmes nada y no cargues papeles de otro país.',
  'rights.street.title': 'En la calle o en el carro',
  'rights.street.body': 'Pregunta: «¿Me puedo ir?». Si te dicen que sí, aléjate con calma. Si te detienen, puedes quedarte callado. En el carro, quien maneja enseña la licencia, el registro y el seguro si se los piden; los pasajeros pueden quedarse callados. Di: «No doy permiso para un registro». No te resistas, aunque creas que es injusto.',
  'rights.call.title': 'A quién llamar',
  'rights.call.body': 'Llama a tu red de respuesta rápida o a un abogado de confianza. Apréndete un número de memoria: te pueden quitar el teléfono. Apunta lo que pasó lo antes posible: números de placa, placas del carro, hora y lugar. Si detienen a alguien, no firmes papeles por esa persona.',
} as const satisfies Record<keyof typeof en, string>;
