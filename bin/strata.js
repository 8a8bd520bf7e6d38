#!/usr/bin/env node
import { main } from '../dist/cli/main.js';

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`strata: internal error: ${err?.stack ?? err}\n`);
    process.exitCode = 70;
  },
);
