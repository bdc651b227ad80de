/**
 * The shape of src/, kept by `npm run deps` (in `npm run all` and CI): one folder per stage of the
 * run, data flowing one way, no import circle (type-only imports count: they are design circles too).
 *
 *   shared ◄─ config ◄─ http ◄─ entrepot ◄─ delivery ─────────────┐
 *      ▲         ▲                   ▲          layer ◄─ catalogue ─┤◄─ report ◄─ main, setup, index
 *      └─────────┴──── workspace ◄───┴──────────────────────────────┘
 */
const stage = (name, mayImport) => ({
  name: `${name}-imports-only-${mayImport.join('-')}`,
  comment: `src/${name}/ may import only ${mayImport.map((d) => `src/${d}/`).join(', ')} (and itself)`,
  severity: 'error',
  from: { path: `^src/${name}/` },
  to: { path: '^src/', pathNot: [`^src/${name}/`, ...mayImport.map((d) => `^src/${d}/`)] },
});

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'an import circle', from: {}, to: { circular: true } },
    stage('shared', []),
    stage('config', ['shared']),
    stage('http', ['shared', 'config']),
    stage('entrepot', ['shared', 'http']),
    stage('workspace', ['shared', 'config']),
    stage('delivery', ['shared', 'config', 'http', 'entrepot', 'workspace']),
    stage('layer', ['shared', 'config', 'http', 'entrepot', 'workspace']),
    stage('catalogue', ['shared', 'config', 'http', 'entrepot', 'workspace', 'layer']),
    stage('report', ['shared', 'config', 'entrepot', 'workspace', 'delivery', 'layer', 'catalogue']),
    {
      name: 'emulator-apart',
      comment: 'the emulator answers as the public sources say, never from the action code',
      severity: 'error',
      from: { path: '^emulator/' },
      to: { path: '^src/' },
    },
    {
      name: 'src-apart-from-tests',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|emulator|scripts|bench)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/workspace/vendor/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
