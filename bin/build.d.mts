/** Types of bin/build.mjs (plain JavaScript: bin/ runs before any TypeScript loader). */
export declare const ROOT: string;
export declare const BUILD_DIR: string;
/** A hash of every file the bundle is built from (paths and contents). */
export declare function sourceFingerprint(): string;
/** The bundle's CLI module for the sources as they are now, or undefined when there is none. */
export declare function bundledCli(fingerprint?: string): string | undefined;
/** Build the bundle for the current sources unless it exists; resolves to its directory. */
export declare function build(opts?: { log?: (line: string) => void }): Promise<string>;
