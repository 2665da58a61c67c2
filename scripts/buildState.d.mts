// Types for buildState.mjs (plain JavaScript: bin/agent-suites.js reads it before any TypeScript loader runs).
export declare const SOURCE_DIRS: string[];
export declare const DIST: string;
export declare const STAMP_FILE: string;
export declare function scanSources(root: string): { files: string[]; newestMs: number };
export declare function writeStamp(outdir: string, sources: { files: string[]; newestMs: number }): void;
export declare function buildIsCurrent(root: string): boolean;
