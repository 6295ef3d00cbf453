/** `fleetscope/runners`: event sources behind the `Runner` contract. */
export { processResourcesRunner, cpuPercent, PROCESS_METRICS, type ProcessResourcesOptions } from './process-resources.js';
