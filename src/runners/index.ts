/** `fleetscope/runners`: event sources behind the `Runner` contract. */
export {};
