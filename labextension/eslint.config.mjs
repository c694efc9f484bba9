// ESLint flat config: typescript-eslint's recommended type-checked rules over src/, plain JS
// recommended rules for the build scripts; formatting is Prettier's (eslint-config-prettier
// turns off the rules that would fight it). `jlpm lint` runs both, `jlpm lint:fix` fixes both.
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import prettier from "eslint-config-prettier";
import globals from "globals";
import tseslint from "typescript-eslint";

export default defineConfig(
  { ignores: ["lib/", "node_modules/", ".yarn/"] },
  js.configs.recommended,
  {
    files: ["src/**/*.ts"],
    extends: [...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      globals: globals.browser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
  },
  {
    files: ["**/*.mjs"],
    languageOptions: { globals: globals.node },
  },
  prettier,
);
