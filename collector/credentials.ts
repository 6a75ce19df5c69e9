import { FabricError } from '../common/errors.js';

/**
 * Who may publish as whom. Each configured token stands alone (any generator identity) or as
 * `token=pattern`, a glob (`*` any run, `?` one character) over the generator identity
 * source:node_type:module:instance_id; a token may be listed with several patterns. Without tokens
 * every Hello is accepted under one empty credential: the network is trusted (README, threat model).
 */
export class Credentials {
  private readonly grants = new Map<string, RegExp[]>();

  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const at = entry.indexOf('=');
      const token = at < 0 ? entry : entry.slice(0, at);
      const pattern = at < 0 ? '*' : entry.slice(at + 1);
      this.grants.set(token, [...(this.grants.get(token) ?? []), globToRegExp(pattern)]);
    }
  }

  /** The credential a Hello presents for `generator`: its token, once known and allowed that identity. */
  check(generator: string, token: string): string {
    if (this.grants.size === 0) return '';
    const patterns = this.grants.get(token);
    if (!patterns) throw new FabricError('UNAUTHENTICATED', `generator ${generator}: token refused`);
    if (!patterns.some((p) => p.test(generator))) {
      throw new FabricError('PERMISSION_DENIED', `generator ${generator}: this token may not publish as it`);
    }
    return token;
  }
}

const globToRegExp = (glob: string): RegExp =>
  new RegExp(
    `^${glob
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
      .join('')}$`,
    's',
  );
