/** Step-id globs for `--only`: `*` matches within one `/`-separated part, `**` across parts, `?` one character. Comma-separated alternatives. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        re += '.*';
        i++;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export function matchesAny(id: string, globs: string): boolean {
  return globs
    .split(',')
    .map((g) => g.trim())
    .filter(Boolean)
    .some((g) => globToRegExp(g).test(id) || globToRegExp(`${g}/**`).test(id));
}
