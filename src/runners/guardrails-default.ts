/**
 * The default guardrail pack. Same shape as a rules file (`docs/claude-code.md`), so a user can
 * copy it, edit it and pass it with `--rules`. Patterns are deliberately narrow: they stop the
 * classic disasters, not every risky command.
 */
import type { GuardrailRule } from './guardrails.js';

/** Shell separators that end one command. */
const END = String.raw`(?=$|[\s;&|)])`;
/** Start of a command word: line start or after a separator / sudo. */
const CMD = String.raw`(?:^|[;&|(\s])(?:sudo\s+)?`;

export const DEFAULT_GUARDRAIL_RULES: readonly GuardrailRule[] = [
  {
    id: 'rm-rf-root-or-home',
    description: 'Recursive forced delete of / or the home directory',
    tool: 'Bash',
    field: 'command',
    pattern:
      CMD +
      String.raw`rm\s+(?=(?:[^;&|]*\s)?(?:-[A-Za-z]*[rR][A-Za-z]*\s|--recursive\s))(?=(?:[^;&|]*\s)?(?:-[A-Za-z]*f[A-Za-z]*\s|--force\s))` +
      String.raw`(?:(?:-[A-Za-z]+|--[a-z-]+)\s+)*(?:/|/\*|~|~/|~/\*|\$HOME/?\*?|"\$HOME"/?|\$\{HOME\}/?)` +
      END,
    action: 'block',
  },
  {
    id: 'pipe-download-to-shell',
    description: 'Piping a downloaded script straight into a shell (curl|wget ... | sh)',
    tool: 'Bash',
    field: 'command',
    pattern: String.raw`\b(?:curl|wget)\b[^;&|]*\|\s*(?:sudo\s+)?(?:env\s+)?(?:ba|z|da|k|fi)?sh\b|\b(?:ba|z)?sh\s+(?:-c\s+)?["']?\$\(\s*(?:curl|wget)\b|(?:ba|z)?sh\s+<\(\s*(?:curl|wget)\b`,
    action: 'block',
  },
  {
    id: 'chmod-777-root',
    description: 'Recursive chmod 777 of /',
    tool: 'Bash',
    field: 'command',
    pattern:
      String.raw`\bchmod\b(?=[^;&|]*\s(?:-[A-Za-z]*R[A-Za-z]*|--recursive)\s)(?=[^;&|]*\s(?:0?777|a\+rwx|ugo\+rwx)\s)[^;&|]*\s/\*?` + END,
    action: 'block',
  },
  {
    id: 'write-secret-file',
    description: 'Writing or editing a secrets file (.env, private key, credentials)',
    tool: 'Write|Edit|MultiEdit|NotebookEdit',
    field: 'file_path',
    pattern: String.raw`(?:^|[/\\])(?:\.env(?:\.(?!example$|sample$|template$)[^/\\]+)?|id_(?:rsa|dsa|ecdsa|ed25519)|[^/\\]+\.(?:pem|key|p12|pfx)|credentials(?:\.json)?|\.netrc|\.npmrc|\.pypirc|service-account[^/\\]*\.json)$|(?:^|[/\\])\.(?:ssh|aws|gnupg)[/\\]`,
    action: 'block',
  },
  {
    id: 'shell-write-secret-file',
    description: 'Redirecting shell output into a secrets file (.env, private key)',
    tool: 'Bash',
    field: 'command',
    pattern: String.raw`(?:>>?|\btee\s+(?:-a\s+)?)\s*["']?[^\s;&|"']*(?:\.env|id_(?:rsa|ed25519|ecdsa)|\.pem)["']?` + END,
    action: 'block',
  },
  {
    id: 'git-force-push-main',
    description: 'Force-pushing to main or master',
    tool: 'Bash',
    field: 'command',
    pattern: String.raw`\bgit\b[^;&|]*\spush\b(?=[^;&|]*(?:\s--force(?![-\w])|\s-[A-Za-z]*f[A-Za-z]*\b|\s\+))[^;&|]*[\s:+](?:main|master)` + END,
    action: 'block',
  },
  {
    id: 'git-force-with-lease-main',
    description: 'Force-pushing (with lease) to main or master',
    tool: 'Bash',
    field: 'command',
    pattern: String.raw`\bgit\b[^;&|]*\spush\b(?=[^;&|]*\s--force-with-lease\b)[^;&|]*[\s:+](?:main|master)` + END,
    action: 'warn',
  },
];
