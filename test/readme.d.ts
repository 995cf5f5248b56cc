/** The README's text. */
export const README: string;
