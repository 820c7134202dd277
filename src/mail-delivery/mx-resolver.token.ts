/** The MX resolver (node:dns in production, fake providers in tests). */
export const MX_RESOLVER = Symbol('MX_RESOLVER');
