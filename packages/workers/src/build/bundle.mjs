// Prebuilt JavaScript for the CLI and the worker threads. Compiling TypeScript on every start costs
// most of a short run (each worker thread compiled the whole model through tsx: ~0.9 s of a 2 s
// one-episode run), so each entry point is bundled once with esbuild and cached under
// node_modules/.cache/ptesim, keyed by a hash of every source file of the workspace, the lockfile
// and the build options: any edit makes a new key, so a cached bundle is never stale.
//
// Plain JavaScript on purpose: the `ptesim` bin loads it before any TypeScript can run. The
// workspace's own packages are bundled; every third-party package stays external, imported by the
// absolute path esbuild resolved it to (the cache folder has no node_modules of its own).
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The workspace root (this file is packages/workers/src/build/bundle.mjs). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const SOURCE_ROOTS = ['packages/core/src', 'packages/workers/src', 'packages/stress/src'];
const EXTRA_INPUTS = ['pnpm-lock.yaml', 'tsconfig.base.json', 'packages/stress/package.json'];
const CACHE_DIR = join(REPO_ROOT, 'node_modules', '.cache', 'ptesim');
const CORE_SRC = `${join(REPO_ROOT, 'packages/core/src')}/`;
const SPIN_PAUSE = join(REPO_ROOT, 'packages/workers/src/direct/spin-pause.mjs');
/** Bumped when the way bundles are built changes (the key covers the sources, not this file's logic). */
const BUILD_FORMAT = 2;

/** A hash of every file under `roots` (paths relative to `base`) and of `extras`. */
export function sourceKey(base = REPO_ROOT, roots = SOURCE_ROOTS, extras = EXTRA_INPUTS) {
  const h = createHash('sha256');
  h.update(`ptesim-bundle ${BUILD_FORMAT} node ${process.versions.node}\n`);
  const files = [];
  for (const root of roots) walk(join(base, root), files);
  for (const extra of extras) files.push(join(base, extra));
  for (const file of files.sort()) {
    h.update(`${relative(base, file)}\0`);
    h.update(readOr(file));
    h.update('\0');
  }
  return h.digest('hex').slice(0, 20);
}

function walk(dir, out) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.isFile()) out.push(p);
  }
}

function readOr(file) {
  try {
    return readFileSync(file);
  } catch {
    return Buffer.alloc(0);
  }
}

/**
 * The path of a bundle of `entry` (absolute, or relative to the workspace root), built now if the cache has no
 * bundle for the current sources. `mode` 'direct' compiles the model's interleaving points out
 * (direct/strip.mjs); 'steps' keeps the generators. Concurrent builders (parallel test files, a
 * pool of runs) each build in a private folder and rename the result into place.
 */
export async function bundle(entry, { mode = 'steps', key = sourceKey() } = {}) {
  const source = isAbsolute(entry) ? entry : join(REPO_ROOT, entry);
  const name = `${relative(REPO_ROOT, source)
    .replace(/^packages\//, '')
    .replace(/\/src\//, '-')
    .replace(/\.[cm]?[jt]s$/, '')
    .replace(/[/\\]/g, '-')}-${mode}`;
  const out = join(CACHE_DIR, `${name}.${key}.mjs`);
  if (exists(out)) return out;
  // Built in a private folder under its final name (the source map's link names the file), then
  // renamed into place, map first: the cache holds complete bundles only.
  const tmpDir = join(CACHE_DIR, `.build-${process.pid}-${Math.random().toString(36).slice(2)}`);
  mkdirSync(tmpDir, { recursive: true });
  const esbuild = await import('esbuild');
  try {
    const built = join(tmpDir, basename(out));
    await esbuild.build({
      entryPoints: [source],
      outfile: built,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      // Stack traces of a harness error name the TypeScript source.
      sourcemap: 'linked',
      sourcesContent: false,
      banner: { js: 'process.setSourceMapsEnabled(true);' },
      logLevel: 'silent',
      plugins: [externalPackages(), ...(mode === 'direct' ? [directCompilation(esbuild)] : [])],
    });
    renameSync(`${built}.map`, `${out}.map`);
    renameSync(built, out);
  } finally {
    rmSync(tmpDir, { recursive: true, force: true });
  }
  removeStale(name, out);
  return out;
}

function exists(p) {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Bundles of the same entry and mode for other sources: left by earlier edits, never used again. */
function removeStale(name, keep) {
  for (const f of readdirSync(CACHE_DIR))
    if (f.startsWith(`${name}.`) && !f.startsWith(basename(keep))) rmSync(join(CACHE_DIR, f), { force: true });
}

const BUILTINS = new Set(builtinModules);

/**
 * Third-party packages: external, by the absolute path they resolve to from the importing file.
 * This file too stays external: it finds the workspace from its own location.
 */
function externalPackages() {
  return {
    name: 'ptesim-external-packages',
    setup(build) {
      build.onResolve({ filter: /\/build\/bundle\.mjs$/ }, (args) => ({
        path: resolve(args.resolveDir, args.path),
        external: true,
      }));
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData?.ptesimInner || args.path.startsWith('@ptesim/')) return undefined;
        if (args.path.startsWith('node:') || BUILTINS.has(args.path.split('/')[0])) return { external: true };
        const r = await build.resolve(args.path, {
          kind: args.kind,
          resolveDir: args.resolveDir,
          importer: args.importer,
          pluginData: { ptesimInner: true },
        });
        if (r.errors.length > 0) return { errors: r.errors };
        return { path: r.path, external: true };
      });
    },
  };
}

/** Direct mode: the model's TypeScript, compiled to JavaScript, then its interleaving points compiled out. */
function directCompilation(esbuild) {
  return {
    name: 'ptesim-direct',
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, async (args) => {
        if (!args.path.startsWith(CORE_SRC)) return undefined;
        const { stripInterleavingPoints } = await import('../direct/strip.mjs');
        const ts = readFileSync(args.path, 'utf8');
        const { code } = await esbuild.transform(ts, {
          loader: 'ts',
          format: 'esm',
          target: 'node20',
          sourcefile: args.path,
        });
        return {
          contents: stripInterleavingPoints(code, args.path, SPIN_PAUSE),
          loader: 'js',
          resolveDir: dirname(args.path),
        };
      });
    },
  };
}

/** What `import()` takes for a bundle's path. */
export function bundleUrl(path) {
  return pathToFileURL(path).href;
}
