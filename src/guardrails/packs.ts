/**
 * The shipped rule packs, as plain data (the shape of a rules file: copy one, edit it, load it
 * with `loadGuardrailRules`). Every rule is linear in its input: commands are read by
 * `parseShell` and matched word by word, paths by base name and directory names, outputs by
 * detectors and line-capped patterns. Rules are deliberately narrow: each stops a known disaster
 * or attack and lets its close harmless neighbour through (see test/guardrails/packs.test.ts).
 */
import { INJECTION_PHRASE } from './detectors.js';
import type { CommandMatcher, GuardrailRule, PathMatcher } from './rules.js';

const SHELLS = ['sh', 'bash', 'zsh', 'dash', 'ksh', 'fish'];
const DOWNLOADERS = ['curl', 'wget'];
const NETWORK = ['curl', 'wget', 'nc', 'ncat', 'netcat', 'socat', 'telnet', 'ssh', 'scp', 'sftp', 'rsync', 'http', 'https', 'xh', 'openssl'];
const READERS = ['cat', 'tac', 'head', 'tail', 'less', 'more', 'bat', 'nl', 'base64', 'xxd', 'od', 'hexdump', 'strings', 'gzip', 'bzip2', 'xz', 'zstd', 'tar', 'zip', 'cp', 'grep', 'egrep', 'rg', 'awk', 'sed', 'jq', 'yq', 'source', '.'];

/** Files that hold secrets (read or written). Templates (`.env.example`) and public keys are not. */
export const SECRET_FILE: PathMatcher = {
  basename: String.raw`\.env(?:\..+)?|\.envrc|id_(?:rsa|dsa|ecdsa|ed25519)(?:_sk)?|.+\.(?:pem|key|p12|pfx|jks|keystore|ppk)|credentials(?:\.json|\.csv)?|\.netrc|\.pgpass|\.git-credentials|\.npmrc|\.pypirc|service-account.*\.json|application_default_credentials\.json|secrets?\.(?:ya?ml|json|toml)`,
  dir: String.raw`\.ssh|\.aws|\.gnupg|\.kube|\.azure`,
  except: String.raw`\.env\.(?:example|sample|template|dist|defaults)|.+\.pub|known_hosts`,
};

/** The write-side set of the original pack (`.env` variants but templates, keys, credentials). */
const SECRET_WRITE: PathMatcher = {
  basename: String.raw`\.env(?:\..+)?|id_(?:rsa|dsa|ecdsa|ed25519)|.+\.(?:pem|key|p12|pfx)|credentials(?:\.json)?|\.netrc|\.npmrc|\.pypirc|service-account.*\.json`,
  dir: String.raw`\.ssh|\.aws|\.gnupg`,
  except: String.raw`\.env\.(?:example|sample|template)`,
};

const MAIN = String.raw`(?:.*:)?(?:refs/heads/)?(?:main|master)`;
const ROOT_OR_HOME = String.raw`/|/\*|~|~/|~/\*|\$HOME/?\*?|\$\{HOME\}/?\*?`;
const RECURSIVE_FORCE = ['-r|-R|--recursive', '-f|--force'];

const pack = (name: string, rules: GuardrailRule[]): readonly GuardrailRule[] => Object.freeze(rules.map((r) => Object.freeze({ ...r, pack: name })));

/** The original pack of the Claude Code hook (same ids), rewritten to be linear. */
export const DEFAULT_PACK = pack('default', [
  {
    id: 'rm-rf-root-or-home',
    description: 'Recursive forced delete of / or the home directory',
    tool: 'Bash',
    field: 'command',
    command: { program: 'rm', flags: RECURSIVE_FORCE, args: [ROOT_OR_HOME] },
    action: 'block',
  },
  {
    id: 'pipe-download-to-shell',
    description: 'Piping a downloaded script straight into a shell (curl|wget ... | sh)',
    tool: 'Bash',
    field: 'command',
    command: [
      { program: DOWNLOADERS, pipesInto: { program: SHELLS } },
      // sh -c "$(curl ...)": the substitution stays inside the quoted word
      { program: SHELLS, args: [String.raw`\$\(\s*(?:curl|wget)\b.*|` + '`' + String.raw`\s*(?:curl|wget)\b.*`] },
    ],
    // sh <(curl ...): process substitution; the pattern is anchored on a literal, so linear
    pattern: String.raw`\b(?:ba|z|da|k)?sh\s+<\(\s*(?:curl|wget)\b`,
    action: 'block',
  },
  {
    id: 'chmod-777-root',
    description: 'Recursive chmod 777 of /',
    tool: 'Bash',
    field: 'command',
    command: { program: 'chmod', flags: ['-R|--recursive'], args: [String.raw`0?777|a\+rwx|ugo\+rwx`, String.raw`/\*?`] },
    action: 'block',
  },
  {
    id: 'write-secret-file',
    description: 'Writing or editing a secrets file (.env, private key, credentials)',
    tool: 'Write|Edit|MultiEdit|NotebookEdit',
    field: 'file_path',
    path: SECRET_WRITE,
    action: 'block',
  },
  {
    id: 'shell-write-secret-file',
    description: 'Redirecting shell output into a secrets file (.env, private key)',
    tool: 'Bash',
    field: 'command',
    command: { program: '*', writesTo: { basename: String.raw`\.env(?:\..+)?|id_(?:rsa|ed25519|ecdsa)|.+\.pem`, except: String.raw`\.env\.(?:example|sample|template)` } },
    action: 'block',
  },
  {
    id: 'git-force-push-main',
    description: 'Force-pushing to main or master',
    tool: 'Bash',
    field: 'command',
    command: [
      { program: 'git', subcommand: 'push', flags: ['-f|--force'], args: [MAIN] },
      { program: 'git', subcommand: 'push', args: [String.raw`\+` + MAIN] },
    ],
    action: 'block',
  },
  {
    id: 'git-force-with-lease-main',
    description: 'Force-pushing (with lease) to main or master',
    tool: 'Bash',
    field: 'command',
    command: { program: 'git', subcommand: 'push', flags: ['--force-with-lease'], args: [MAIN] },
    action: 'alert',
  },
]);

/** Reading secrets: `.env`, private keys, cloud credentials. */
export const SECRETS_PACK = pack('secrets', [
  {
    id: 'read-secret-file',
    description: 'Reading a secrets file (.env, private key, cloud credentials)',
    tool: 'Read|NotebookRead|View',
    field: 'file_path',
    path: SECRET_FILE,
    action: 'block',
  },
  {
    id: 'shell-read-secret-file',
    description: 'Printing or copying a secrets file from the shell (.env, private key, cloud credentials)',
    tool: 'Bash',
    field: 'command',
    command: { program: READERS, path: SECRET_FILE },
    action: 'block',
  },
  {
    id: 'dump-environment',
    description: 'Dumping every environment variable (they often hold API keys)',
    tool: 'Bash',
    field: 'command',
    command: [{ program: ['env', 'printenv', 'set', 'export'], noOperands: true }],
    action: 'alert',
  },
]);

const NETWORK_SINK: CommandMatcher = { program: NETWORK };

/** Sending secrets out: piping env or key files to the network, uploading them. */
export const EXFILTRATION_PACK = pack('exfiltration', [
  {
    id: 'pipe-secrets-to-network',
    description: 'Piping a secrets file or the environment into a network command (curl, nc, scp, ...)',
    tool: 'Bash',
    field: 'command',
    command: [
      { program: READERS, path: SECRET_FILE, pipesInto: NETWORK_SINK },
      { program: ['env', 'printenv', 'set'], pipesInto: NETWORK_SINK },
    ],
    action: 'block',
  },
  {
    id: 'upload-secret-file',
    description: 'Uploading a secrets file (curl -d @.env, scp ~/.ssh/id_rsa, nc < .env)',
    tool: 'Bash',
    field: 'command',
    command: [
      { program: ['curl', 'wget', 'http', 'https', 'xh'], uploads: SECRET_FILE },
      { program: ['scp', 'sftp', 'rsync', 'nc', 'ncat', 'netcat', 'socat', 'telnet'], path: SECRET_FILE },
    ],
    action: 'block',
  },
]);

/** Destructive git and filesystem operations beyond the default pack. */
export const DESTRUCTIVE_PACK = pack('destructive', [
  {
    id: 'rm-rf-system-dir',
    description: 'Recursive forced delete of a system directory or of a repository\'s .git',
    tool: 'Bash',
    field: 'command',
    command: { program: 'rm', flags: RECURSIVE_FORCE, args: [String.raw`/(?:bin|boot|dev|etc|home|lib|lib64|opt|root|sbin|srv|usr|var|Users|System|Applications)/?\*?|(?:\./)?\.git/?`] },
    action: 'block',
  },
  {
    id: 'rm-rf-working-dir',
    description: 'Recursive forced delete of the whole working directory (., .., *)',
    tool: 'Bash',
    field: 'command',
    command: { program: 'rm', flags: RECURSIVE_FORCE, args: [String.raw`\.|\./|\.\.|\.\./|\*|\./\*|\.\./\*`] },
    action: 'block',
  },
  {
    id: 'find-delete-root',
    description: 'find -delete over / or the home directory',
    tool: 'Bash',
    field: 'command',
    command: { program: 'find', args: [ROOT_OR_HOME, '-delete'] },
    action: 'block',
  },
  {
    id: 'disk-wipe',
    description: 'Formatting or overwriting a disk device (mkfs, dd of=/dev/..., > /dev/sda)',
    tool: 'Bash',
    field: 'command',
    command: [
      { program: ['mkfs', 'mkfs.ext2', 'mkfs.ext3', 'mkfs.ext4', 'mkfs.xfs', 'mkfs.btrfs', 'mkfs.vfat', 'mkfs.fat', 'mkfs.ntfs', 'wipefs', 'fdisk', 'sfdisk', 'parted'] },
      { program: 'dd', args: [String.raw`of=/dev/(?!null$|zero$|stdout$|stderr$).+`] },
      { program: 'shred', args: [String.raw`/dev/.+`] },
      { program: '*', writesTo: { basename: String.raw`sd[a-z]\d*|nvme\d+n\d+(?:p\d+)?|hd[a-z]\d*|disk\d+(?:s\d+)?|mmcblk\d+(?:p\d+)?` } },
    ],
    action: 'block',
  },
  {
    id: 'git-delete-main',
    description: 'Deleting the main or master branch',
    tool: 'Bash',
    field: 'command',
    command: [
      { program: 'git', subcommand: 'branch', flags: ['-D'], args: [String.raw`main|master`] },
      { program: 'git', subcommand: 'push', flags: ['-d|--delete'], args: [MAIN] },
      { program: 'git', subcommand: 'push', args: [String.raw`:(?:refs/heads/)?(?:main|master)`] },
    ],
    action: 'block',
  },
  {
    id: 'git-force-push',
    description: 'Force-pushing (rewrites the remote branch\'s history)',
    tool: 'Bash',
    field: 'command',
    command: [
      { program: 'git', subcommand: 'push', flags: ['-f|--force'] },
      { program: 'git', subcommand: 'push', args: [String.raw`\+.+`] },
    ],
    action: 'alert',
  },
  {
    id: 'git-reset-hard',
    description: 'git reset --hard (drops uncommitted work)',
    tool: 'Bash',
    field: 'command',
    command: { program: 'git', subcommand: 'reset', flags: ['--hard'] },
    action: 'alert',
  },
  {
    id: 'git-clean-force',
    description: 'git clean -f with -d or -x (deletes untracked files for good)',
    tool: 'Bash',
    field: 'command',
    command: { program: 'git', subcommand: 'clean', flags: ['-f|--force', '-d|-x|-X'] },
    action: 'alert',
  },
]);

/** Prompt-injection heuristics on what a tool returned, before it reaches the model. */
export const INJECTION_PACK = pack('injection', [
  {
    id: 'injection-ignore-instructions',
    description: 'Tool output tells the model to ignore its previous instructions (prompt injection)',
    phase: 'output',
    field: 'output',
    pattern: INJECTION_PHRASE.source,
    flags: 'i',
    maxLineChars: 65_536,
    action: 'alert',
  },
  {
    id: 'injection-hidden-unicode-tags',
    description: 'Tool output hides text in invisible Unicode tag characters (prompt injection)',
    phase: 'output',
    field: 'output',
    detector: 'hidden-unicode-tags',
    action: 'alert',
  },
  {
    id: 'injection-data-url',
    description: 'Tool output carries a data: URL whose decoded text holds instructions (prompt injection)',
    phase: 'output',
    field: 'output',
    detector: 'data-url-instructions',
    action: 'alert',
  },
]);

/** Excessive use: tool calls per minute per agent, known LLM cost per session. */
export const USAGE_PACK = pack('usage', [
  {
    id: 'tool-calls-per-minute',
    description: 'More than 120 tool calls in a minute by one agent (a loop?)',
    limit: { maxCallsPerMinute: 120 },
    action: 'alert',
  },
  {
    id: 'session-cost-limit',
    description: 'The session spent more than $10 of known LLM cost',
    limit: { maxSessionCostUsd: 10 },
    action: 'alert',
  },
]);

/** Every shipped pack by name. */
export const GUARDRAIL_PACKS = Object.freeze({
  default: DEFAULT_PACK,
  secrets: SECRETS_PACK,
  exfiltration: EXFILTRATION_PACK,
  destructive: DESTRUCTIVE_PACK,
  injection: INJECTION_PACK,
  usage: USAGE_PACK,
});

export type GuardrailPackName = keyof typeof GUARDRAIL_PACKS;

/** Every rule of every shipped pack. */
export const ALL_GUARDRAIL_RULES: readonly GuardrailRule[] = Object.values(GUARDRAIL_PACKS).flat();
