#!/usr/bin/env node
/** The `fleetscope` command line. Subcommands are added by the runners issue (hook, usage). */
process.stdout.write('fleetscope: no command yet\n');
