// The tool's name and version as results.json records them (kept equal to package.json by a test).
export const TOOL = { name: 'k8s-ai-conformance', version: '0.1.0' } as const;
