/** `fleetscope/exporters`: exporters behind the `Exporter` contract. */
export {};
