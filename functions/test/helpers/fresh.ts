/**
 * A fresh copy of a module, loaded inside the test that calls this. A module's tables (status moves, currency
 * lists, collection names) are built when it loads; loaded here, that work happens inside a test, so StrykerJS
 * knows which tests cover each entry and can check a mutant of it against them (docs/mutation.md, "static
 * mutants") instead of ignoring it. The behaviour under test is the same as through a top-level import.
 */
export function fresh<T>(load: () => T): T {
  let mod: T | undefined;
  jest.isolateModules(() => {
    mod = load();
  });
  return mod as T;
}
