// La sesión de la app con el programa de Aviso en esta computadora (packages/agent/src/app).
export const session = {
  'session.none': 'Esta página no está conectada a Aviso en esta computadora. Abre la dirección que mostró `npm run app`, o vuelve a iniciarlo.',
} as const;
