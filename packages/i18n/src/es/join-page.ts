// La página de invitación del relé (GET /join): lo que lee quien abrió un enlace de invitación en
// un navegador. Palabras sencillas, "tú"; las etiquetas entre comillas son las de la app.
export const joinPage = {
  'join.title': 'Únete a un grupo en Aviso',
  'join.lead': 'Alguien te mandó una invitación a un grupo en Aviso, una red donde los vecinos se avisan entre sí. Esta página no puede unirte: abre la invitación en la app de Aviso, o con el comando aviso, en tu propia computadora.',
  'join.keep': 'No compartas la invitación. Quien la tenga puede entrar al grupo o pedir entrar. No la publiques en chats públicos.',
  'join.lang.label': 'Idioma',
  'join.lang.name': 'Español',
  'join.app.title': 'Con la app de Aviso',
  'join.app.step1': 'Abre la app de Aviso en tu computadora. Si no está instalada, tu organizador te puede ayudar. Para abrirla, escribe: npm run app',
  'join.app.step2': 'Copia el enlace de invitación que te mandaron: el enlace completo, con la parte después del signo #.',
  'join.app.step3': 'En la app, pégalo en "Enlace o código de invitación", escribe el nombre que verá tu grupo y toca "Unirme".',
  'join.cli.title': 'Con la línea de comandos',
  'join.cli.step': 'Escribe esto, con el enlace de invitación completo entre las comillas:',
  'join.cli.command': 'aviso join "ENLACE DE INVITACIÓN" --name "Tu nombre"',
  'join.pending': 'Algunas invitaciones necesitan que un organizador te acepte primero. Mientras tanto no verás alertas.',
  'join.private.title': 'Tu invitación se queda en este aparato',
  'join.private.body': 'La invitación es la parte de la dirección después del signo #. Tu navegador nunca manda esa parte a este servidor, y esta página no tiene programas que la puedan mandar a ningún lado.',
} as const;
