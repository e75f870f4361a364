/**
 * The one loader of ES-module-only packages (hyparquet, vega, vega-lite) from our CommonJS build.
 * A real dynamic import(), hidden from TypeScript's CommonJS transform (which would rewrite it into
 * require(), and require() cannot load vega: its graph has a top-level await). Inside a VM context
 * without an import callback (the vitest runner) that throws, and the bundler's own dynamic import
 * (a non-literal `import(name)`, which it handles) is used instead.
 */
export async function loadEsm<T>(name: string): Promise<T> {
  try {
    return await (new Function('m', 'return import(m)') as (m: string) => Promise<T>)(name);
  } catch (err) {
    if (!/dynamic import callback/i.test(String((err as Error)?.message))) throw err;
    const spec: string = name;
    return (await import(spec)) as T;
  }
}
