// The package version; the engine wheel the runtime installs carries it in its name.
export const VERSION = "0.1.0";
