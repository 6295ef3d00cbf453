/** A small argv parser: `--name value`, `--name=value`, `--flag`, `--no-flag`, positionals. */
export interface ParsedArgs {
  positionals: string[];
  options: Map<string, string | boolean>;
}

/** `valued` lists the options that take a value. */
export function parseArgs(argv: readonly string[], valued: readonly string[]): ParsedArgs {
  const positionals: string[] = [];
  const options = new Map<string, string | boolean>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    if (eq !== -1) options.set(name, arg.slice(eq + 1));
    else if (valued.includes(name)) {
      const value = argv[i + 1];
      if (value === undefined) throw new Error(`--${name} needs a value`);
      options.set(name, value);
      i++;
    } else if (name.startsWith('no-')) options.set(name.slice(3), false);
    else options.set(name, true);
  }
  return { positionals, options };
}

export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const value = args.options.get(name);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** `--help` / `-h` anywhere in the arguments (of `hook` and `statusline`: usage on stdout, no stdin read, no store touched). */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}
