/** Types of scripts/build-hook.mjs (a plain ESM script, so tests can run it with `node` alone). */
export declare function buildHookBundle(outFile: string): Promise<void>;
