// ESLint 9 flat config: typescript-eslint's recommended rules for the TypeScript, ESLint's for the JavaScript.
const js = require("@eslint/js");
const tseslint = require("typescript-eslint");
const globals = require("globals");

module.exports = tseslint.config(
  {
    ignores: [
      "**/node_modules/**",
      "functions/lib/**",
      "hosting/public/**",
      "**/*.generated.*",
      "functions/src/**/schemas/*.js",
      "functions/src/**/schemas/*.d.ts",
      "test-artifacts/**",
      "coverage/**",
      ".stryker-tmp*/**",
      "reports/**",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.js", "**/*.cjs", "**/*.mjs"],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      "@typescript-eslint/no-require-imports": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  { files: ["hosting/src/**/*.js"], languageOptions: { globals: { ...globals.browser } } },
  {
    files: ["**/*.ts"],
    rules: {
      "@typescript-eslint/no-explicit-any": "off", // test helpers talk to untyped local servers
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" },
      ],
    },
  },
);
