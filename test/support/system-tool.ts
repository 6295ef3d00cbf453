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
