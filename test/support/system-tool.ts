import { spawnSync } from 'node:child_process';

/**
 * Whether a system tool a suite needs (promtool, chromium, redis-server, ...) can run here.
 *
 * Missing locally: the suite says so loudly and its tests skip. Missing in CI (`FLEETSCOPE_CI=1`, set by
 * `.ci/run`, which installs every tool through `.ci/setup.d/`): the returned flag is `true` anyway, so the
 * tests run and fail on the missing tool instead of skipping in silence.
 */
export function systemTool(command: string, versionArgs: readonly string[], why: string): boolean {
  const found = spawnSync(command, versionArgs, { stdio: 'ignore' }).status === 0;
  if (found) return true;
  const inCi = process.env.FLEETSCOPE_CI === '1';
  console.warn(
    `\n!!!!!!!! ${inCi ? 'MISSING IN CI (the tests below will fail)' : 'SKIPPING'}: \`${command}\` is not installed. ` +
      `${why} (.ci/run installs it; see .ci/setup.d/). !!!!!!!!\n`,
  );
  return inCi;
}

/**
 * Mounts a tmpfs of `size` (e.g. `1m`) on `mountPoint` (an existing empty directory) for the full-disk
 * tests; returns whether it is mounted. Mounting needs root (or CAP_SYS_ADMIN): without it the suite
 * says so loudly and the tests skip, except in CI (`FLEETSCOPE_CI=1`), where they run and fail.
 * Unmount with `unmountTmpfs`.
 */
export function mountTmpfs(mountPoint: string, size: string, why: string): boolean {
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', mountPoint], { encoding: 'utf8' });
  if (mounted.status === 0) return true;
  const inCi = process.env.FLEETSCOPE_CI === '1';
  console.warn(
    `\n!!!!!!!! ${inCi ? 'CANNOT MOUNT IN CI (the tests below will fail)' : 'SKIPPING'}: no tmpfs could be mounted on ${mountPoint} ` +
      `(${(mounted.stderr || String(mounted.error)).trim()}). ${why} (needs root). !!!!!!!!\n`,
  );
  return inCi;
}

export function unmountTmpfs(mountPoint: string): void {
  spawnSync('umount', [mountPoint], { stdio: 'ignore' });
}
