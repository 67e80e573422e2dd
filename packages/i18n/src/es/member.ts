import type { member as en } from '../en/member.js';

// Spanish for the member screens: same keys and placeholders as en/member.ts.
export const member = {
  'nav.label': 'Pantallas',
  'nav.board': 'Alertas',
  'nav.history': 'Historial',
  'nav.groups': 'Grupos',
  'nav.settings': 'Ajustes',

  'board.expires': 'Termina {when}',
  'board.expired': 'Terminó',
  'alert.ends': 'Termina',
  'board.you': 'tú',

  'history.title': 'Historial',
  'history.intro': 'Las alertas que este aparato todavía guarda, de la más nueva a la más vieja. Cada alerta se borra de este aparato cuando termina.',
  'history.empty': 'Todavía nada.',
  'history.active': 'Vigente',
  'history.status': 'Estado: {status}',

  'groups.title': 'Tus grupos',
  'groups.empty': 'Todavía no estás en ningún grupo.',
  'groups.role': 'Eres {role}',
  'groups.members': '{count, plural, one {# miembro} other {# miembros}}',
  'groups.pending': 'Esperando a que un organizador te apruebe',
  'groups.safety': 'Números de seguridad',
  'groups.manage': 'Administrar',

  'safety.title': 'Números de seguridad: {group}',
  'safety.intro': 'Véanse en persona o llámense. Cada quien abre esta pantalla: si los 60 números coinciden, nadie está en medio. Luego marca a la persona como verificada: si su clave cambia, ya no se le manda nada.',
  'safety.you': 'Eres tú.',
  'safety.qr': 'Código QR del número de seguridad con {name}',
  'safety.verified': 'Verificado',
  'safety.mark': 'Marcar como verificado',
  'safety.none': 'Todavía no hay nadie más en este grupo.',
  'safety.lookalike': 'Cuidado: este nombre se parece al de otro miembro.',
  'safety.digits': 'Número de seguridad con {name}',

  'settings.title': 'Ajustes',
  'settings.language': 'Idioma',
  'settings.sound': 'Sonido para alertas urgentes y muy graves',
  'settings.notify': 'Notificaciones para alertas urgentes y muy graves',
  'settings.notifyNote': 'La notificación solo dice «Aviso: nueva alerta», nunca qué ni dónde: los teléfonos y las computadoras guardan una lista de notificaciones.',
  'settings.notifyDenied': 'El navegador bloquea las notificaciones de esta página. Permítelas en los ajustes del sitio del navegador.',
  'settings.notifyUnsupported': 'Este navegador no puede mostrar notificaciones.',
  'settings.test': 'Probar el sonido',
  'settings.lock': 'Bloquear si no se usa',
  'settings.lockNote': 'Aviso cierra este perfil tras este tiempo sin uso; para abrirlo otra vez hace falta la frase de contraseña.',
  'settings.on': 'Sí',
  'settings.off': 'No',

  'notify.text': 'Aviso: nueva alerta',
  'app.titleCount': '({count}) Aviso',
} as const satisfies Record<keyof typeof en, string>;
