// Builds the dashboard into static files for sarang-httpd (http.web_dir):
//   node build.mjs --outdir DIR --node-modules DIR
// Bundles src/main.js (and the CSS it imports) with esbuild into content-hashed names
// (main-HASH.js, main-HASH.css: browsers may cache them for a year) and writes index.html,
// which names them and is never cached. The npm packages come from --node-modules (CMake runs
// `npm ci` in the build folder, so the source tree never holds node_modules).
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: { outdir: { type: 'string' }, 'node-modules': { type: 'string' } },
});
if (!args.outdir || !args['node-modules']) {
  console.error('usage: node build.mjs --outdir DIR --node-modules DIR');
  process.exit(2);
}
const here = dirname(fileURLToPath(import.meta.url));
const outdir = resolve(args.outdir);
const nodeModules = resolve(args['node-modules']);
const esbuild = createRequire(join(nodeModules, 'resolve-from-here.js'))('esbuild');

await rm(outdir, { recursive: true, force: true });
await mkdir(outdir, { recursive: true });
const result = await esbuild.build({
  entryPoints: [join(here, 'src/main.js')],
  bundle: true,
  format: 'esm',
  target: ['es2020'],
  platform: 'browser',
  minify: true,
  sourcemap: 'linked',
  entryNames: '[name]-[hash]',
  outdir,
  nodePaths: [nodeModules],
  metafile: true,
  logLevel: 'warning',
});

const outputs = Object.keys(result.metafile.outputs).map((file) => basename(file));
const script = outputs.find((name) => /^main-[A-Z0-9]{8}\.js$/.test(name));
const style = outputs.find((name) => /^main-[A-Z0-9]{8}\.css$/.test(name));
if (!script || !style) {
  console.error(`build.mjs: expected main-HASH.js and main-HASH.css, got ${outputs.join(', ')}`);
  process.exit(1);
}
const template = await readFile(join(here, 'src/index.html'), 'utf8');
const page = template.replace('{{SCRIPT}}', script).replace('{{STYLE}}', style);
await writeFile(join(outdir, 'index.html'), page);
const bytes = Object.values(result.metafile.outputs).reduce((sum, out) => sum + out.bytes, 0);
console.log(`dashboard: ${script}, ${style} (${Math.round(bytes / 1024)} KiB with maps) in ${outdir}`);
