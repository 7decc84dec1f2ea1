export const REPO_ROOT: string;
export function sourceKey(base?: string, roots?: readonly string[], extras?: readonly string[]): string;
export function bundle(entry: string, options?: { mode?: 'steps' | 'direct'; key?: string }): Promise<string>;
export function bundleUrl(path: string): string;
