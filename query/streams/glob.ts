/** A glob (`*` any run, `?` one character) as a test of a whole name, as the uves query's LIKE reads it. */
export function globTest(glob: string): (name: string) => boolean {
  const pattern = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  const regex = new RegExp(`^${pattern}$`, 's');
  return (name) => regex.test(name);
}
