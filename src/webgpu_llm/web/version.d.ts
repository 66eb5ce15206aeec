// Declarations of version.js.

/** The package version; the engine wheel the runtime installs carries it in its name. */
export declare const VERSION: string;
