// Shell quoting: every value a host script receives is single-quoted data, never code.
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
