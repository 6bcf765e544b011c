// The seed's photo pipeline with sharp, for bench/photo.sh (issue #8 item 7): per image, the
// photo upright at JPEG quality 85 and a 300x300 cover-cropped thumbnail at quality 70, both
// from the same input file, one image at a time on one core (sharp.concurrency(1), cache off).
//
//   node bench/photo_sharp.mjs --input FILE [--iterations 60] [--warmup 3] [--out DIR] [--plain]
//
// sharp's jpeg() optimises the Huffman tables by default (optimiseCoding: true: smaller files,
// slower encoding) where libvips' jpegsave does not; --plain turns it off, so both encoders do
// the same work, and labels the line "sharp-plain".
//
// sharp is not a dependency of the repository: photo.sh installs it under the build directory
// and points NODE_PATH-free resolution at it with SHARP_DIR (the folder holding node_modules).
import { createRequire } from 'node:module';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 && at + 1 < args.length ? args[at + 1] : fallback;
};
const input = arg('--input', '');
if (!input) {
  console.error('usage: node photo_sharp.mjs --input FILE [--iterations N] [--warmup N]');
  process.exit(2);
}
const iterations = Number(arg('--iterations', '60'));
const warmup = Number(arg('--warmup', '3'));
const plain = args.includes('--plain');
const label = plain ? 'sharp-plain' : 'sharp';
const out = arg('--out', `/tmp/sarang-photo-sharp.${process.pid}`);
mkdirSync(out, { recursive: true });

const sharpDir = process.env.SHARP_DIR;
if (!sharpDir) {
  console.error('SHARP_DIR must name the folder sharp was installed into');
  process.exit(2);
}
const require = createRequire(join(sharpDir, 'package.json'));
const sharp = require('sharp');
sharp.concurrency(1);
sharp.cache(false);

const photo = join(out, 'photo.jpg');
const thumb = join(out, 'thumb.jpg');
async function once() {
  await sharp(input)
    .rotate()
    .jpeg({ quality: 85, ...(plain && { optimiseCoding: false }) })
    .toFile(photo);
  await sharp(input)
    .rotate()
    .resize(300, 300, { fit: 'cover' })
    .jpeg({ quality: 70, ...(plain && { optimiseCoding: false }) })
    .toFile(thumb);
}

for (let i = 0; i < warmup; i++) await once();
const cpuStart = process.cpuUsage();
const start = process.hrtime.bigint();
for (let i = 0; i < iterations; i++) await once();
const wall = Number(process.hrtime.bigint() - start) / 1e9;
const used = process.cpuUsage(cpuStart);
const cpu = (used.user + used.system) / 1e6;

const p = await sharp(photo).metadata();
const t = await sharp(thumb).metadata();
console.log(`output: photo=${p.width}x${p.height} thumb=${t.width}x${t.height}`);
console.log(
  `${label}: images=${iterations} wall_s=${wall.toFixed(3)} ` +
    `images_per_s=${(iterations / wall).toFixed(2)} cpu_s=${cpu.toFixed(3)} ` +
    `images_per_cpu_s=${(iterations / cpu).toFixed(2)} ` +
    `ms_per_image=${((wall * 1000) / iterations).toFixed(2)} ` +
    `photo_bytes=${statSync(photo).size} thumb_bytes=${statSync(thumb).size} ` +
    `sharp=${sharp.versions.sharp} vips=${sharp.versions.vips} concurrency=${sharp.concurrency()}`,
);
