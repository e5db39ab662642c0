/**
 * The layering check of `npm test` (scripts/test.sh): no import cycles, and
 * no import from a lower layer into a higher one. The layers, lowest first:
 *   codec ← format ← mixing ← model ← steering ← pipeline ← platform ← cli / ui / selftest
 * (README.md, "How it fits together").
 */
const LAYERS = ['codec', 'format', 'mixing', 'model', 'steering', 'pipeline', 'platform'];
const TOP = ['cli', 'ui', 'selftest'];

/** Layer i may import only from layers below it. */
const forbidden = LAYERS.map((layer, i) => ({
  name: `${layer}-imports-upward`,
  comment: `src/${layer}/ is below ${[...LAYERS.slice(i + 1), ...TOP].join(', ')}: it must not import from them`,
  severity: 'error',
  from: { path: `^src/${layer}/` },
  to: { path: `^src/(${[...LAYERS.slice(i + 1), ...TOP].join('|')})/` },
}));

module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', from: {}, to: { circular: true } },
    ...forbidden,
    {
      name: 'fronts-stay-apart',
      comment: 'the CLI, the app and the self-test share the core, never each other',
      severity: 'error',
      from: { path: '^src/(cli|ui|selftest)/' },
      to: { path: '^src/(cli|ui|selftest)/', pathNot: '^src/$1/' },
    },
    {
      name: 'core-stays-portable',
      comment: 'below platform/, nothing imports Node built-ins or comlink: the same core runs in a browser worker and in Node',
      severity: 'error',
      from: { path: `^src/(${LAYERS.slice(0, -1).join('|')})/` },
      to: { dependencyTypes: ['core'], pathNot: '^$' },
    },
    {
      name: 'core-no-comlink',
      severity: 'error',
      from: { path: `^src/(${LAYERS.slice(0, -1).join('|')})/` },
      to: { path: 'node_modules/comlink' },
    },
    {
      name: 'no-src-outside',
      comment: 'src/ is the product: it never imports tests, benchmarks or scripts',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(tests|bench|scripts)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    exclude: { path: '(^src/model/exact/wasm/assembly/)' },
  },
};
