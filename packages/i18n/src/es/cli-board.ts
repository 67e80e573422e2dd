import type { cliBoard as en } from '../en/cli-board.js';

// `aviso listen` en español: el tablero en vivo y una línea por evento cuando la salida no es una terminal.
export const cliBoard = {
  'cli.board.header': 'aviso listen — perfil «{profile}»',
  'cli.board.headerState': 'aviso listen — perfil «{profile}» — {state}',
  'cli.board.status': '{header} — {count, plural, =0 {no hay alertas vigentes} one {# alerta vigente} other {# alertas vigentes}} — {time} — Ctrl-C para salir',
  'cli.board.empty': '  todavía no hay alertas; esperando…',
  'cli.board.expired': '  [VENCIDA]',
  'cli.board.retracted': '  [RETIRADA]',
  'cli.board.retractedWhy': '  [RETIRADA: {reason}]',
  'cli.board.allClear': '  [YA PASÓ]',
  'cli.board.from': 'de',
  'cli.board.id': 'id {id}',
  'cli.board.messages': 'mensajes:',
  'cli.board.senderRemoved': 'sacaron del grupo a quien la mandó',
  'cli.connection.connecting': 'conectando',
  'cli.connection.closed': 'sin conexión, intentando otra vez',
  'cli.connection.open': 'conectado',
  'cli.handedOver': 'aviso listen: la app de Aviso tomó el perfil «{profile}»; muestra las mismas alertas. Aquí se detiene.',
  'cli.warning.alertDropped': 'se descartó la alerta {id}: sacaron del grupo a quien la mandó',
  'cli.warning.identityChanged': 'cambió el número de seguridad con {account}; no se le manda nada más hasta que lo compares (`aviso verify {short}`) y corras `aviso accept {short}`',

  'cli.event.alert': '{time} ALERTA {severity} {kind}: {title} — {place} — en {group} de {from} [{id}]{retracted, select, yes { RETIRADA} other {}}{body}',
  'cli.event.ack': '{time} {from} respondió «{status}» a [{id}]{counts}',
  'cli.event.confirm': '{time} {from} confirmó [{id}]{note}{counts}',
  'cli.event.dispute': '{time} {from} puso en duda [{id}]{note}{counts}',
  'cli.event.retract': '{time} RETIRADA [{id}] por {from}{reason}',
  'cli.event.allClear': '{time} YA PASÓ [{id}] avisó {from}',
  'cli.event.expired': '{time} venció [{id}] en {group}',
  'cli.event.connection': '{time} conexión: {state}',
  'cli.event.warning': '{time} aviso: {message}',
  'cli.event.ready': '{time} escuchando (al día); Ctrl-C para salir',
} as const satisfies Record<keyof typeof en, string>;
