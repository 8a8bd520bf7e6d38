// Run the CLI from source without building: npx tsx scripts/dev.ts <command> …
import { main } from '../src/cli/main.js';

main(process.argv).then((code) => {
  process.exitCode = code;
});
