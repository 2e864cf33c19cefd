#!/usr/bin/env node
'use strict';

// Usage: stamp OUT_FILE
// Writes {"builtBy":"stamp","tool":"stamp@<version>","node":"<version>","builtAt":...}
// to OUT_FILE, creating its directory. builtAt honours SOURCE_DATE_EPOCH so
// builds can be reproducible.
const fs = require('fs');
const path = require('path');

const out = process.argv[2];
if (!out) {
  console.error('usage: stamp OUT_FILE');
  process.exit(2);
}
const epoch = process.env.SOURCE_DATE_EPOCH;
const info = {
  builtBy: 'stamp',
  tool: `stamp@${require('../package.json').version}`,
  node: process.version,
  builtAt: epoch ? new Date(Number(epoch) * 1000).toISOString() : new Date().toISOString(),
};
fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
fs.writeFileSync(out, JSON.stringify(info, null, 2) + '\n');
console.log(`stamp: wrote ${out}`);
