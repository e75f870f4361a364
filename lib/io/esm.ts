/**
 * Loading an ES-module-only package from our CommonJS build. Node >= 20.19 can require() it; older
 * Nodes need a real dynamic import(), which TypeScript's CommonJS output would rewrite into
 * require(), hence the Function.
 */
export async function loadEsm<T = any>(name: string): Promise<T> {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(name) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_REQUIRE_ESM') throw err;
    return (new Function('s', 'return import(s)') as (s: string) => Promise<T>)(name);
  }
}
