// Bundles the CLI into dist/ with esbuild. The toolkit and client-node are ESM-only,
// so the bundle is ESM; createRequire lets bundled CommonJS dependencies load node builtins.
import { build } from 'esbuild';
import { readdirSync, readFileSync, rmSync } from 'node:fs';

// The official checklist templates are read from fixtures/ when run from source; the bundle
// carries them inline (src/checklist/templates.ts, BUNDLED).
const TEMPLATES_DIR = 'fixtures/checklists/templates';
const templates = Object.fromEntries(
  readdirSync(TEMPLATES_DIR)
    .map((name) => /^AIConformance-(\d+\.\d+)\.yaml$/.exec(name))
    .filter((match) => match !== null)
    .map((match) => [match[1], readFileSync(`${TEMPLATES_DIR}/${match[0]}`, 'utf8')]),
);
const inlineTemplates = {
  name: 'inline-templates',
  setup(b) {
    b.onLoad({ filter: /src[\\/]checklist[\\/]templates\.ts$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const marker = 'const BUNDLED = undefined as Readonly<Record<string, string>> | undefined;';
      if (!source.includes(marker)) throw new Error(`${args.path}: BUNDLED marker not found`);
      return {
        contents: source.replace(marker, `const BUNDLED = ${JSON.stringify(templates)} as Readonly<Record<string, string>> | undefined;`),
        loader: 'ts',
      };
    });
  },
};

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: { cli: 'src/cli.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [inlineTemplates],
  banner: {
    js: [
      '#!/usr/bin/env node',
      "import { createRequire as __createRequire } from 'node:module';",
      'const require = __createRequire(import.meta.url);',
    ].join('\n'),
  },
});
