/**
 * Loading an optional peer dependency (a database or broker driver, an SDK) on first use, with the
 * prefixed error STYLE asks for when it is missing: `[fleetscope] [<plugin>] <module> could not be
 * loaded; install it with npm install <module> (an optional peer dependency)`. The dynamic import
 * stays in the plugin's call, so a host that never uses the plugin never loads the module.
 */
export async function importOptionalPeer<T>(load: () => Promise<unknown>, module: string, plugin: string): Promise<T> {
  try {
    const loaded = (await load()) as { default?: unknown };
    // CommonJS modules arrive as { default: module.exports } under ESM; take the namespace either way.
    return (loaded.default !== undefined && typeof loaded.default === 'object' ? { ...loaded.default, ...loaded } : loaded) as T;
  } catch (error) {
    throw new Error(
      `[fleetscope] [${plugin}] ${module} could not be loaded; install it with \`npm install ${module}\` (an optional peer dependency)`,
      { cause: error },
    );
  }
}
