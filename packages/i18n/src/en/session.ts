// The app's session with the member host (packages/agent/src/app): what a page without one shows.
export const session = {
  'session.none': 'This page is not connected to Aviso on this computer. Open the address that `npm run app` printed, or start it again.',
} as const;
