/**
 * A benchmark script's command line: `option(flag)` takes a flag and the value after it out of the
 * arguments; `positional()` is what is left that is not a flag, once every option was taken.
 */
export function scriptArgs(argv: string[] = process.argv.slice(2)) {
  const taken = new Set<number>()
  return {
    argv,
    option(flag: string): string | undefined {
      const at = argv.indexOf(flag)
      if (at < 0) return undefined
      taken.add(at).add(at + 1)
      return argv[at + 1]
    },
    positional: (): string[] => argv.filter((a, i) => !taken.has(i) && !a.startsWith('--')),
  }
}
