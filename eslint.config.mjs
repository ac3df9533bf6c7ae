import js from "@eslint/js";
import tseslint from "typescript-eslint";

// The layers, and which way imports go: components (user process) → planning (pure);
// provider (plugin) → planning, and components only for construct; planning imports no other layer
// and nothing that does I/O. test/unit/layers.test.ts shows this rule rejecting a wrong import.
const layer = (message, ...regexes) => ({
  "no-restricted-imports": ["error", { patterns: regexes.map((regex) => ({ regex, message })) }],
});
const IO = "^(node:)?(fs|fs/promises|child_process|http|https|dgram)$|^(ssh2|etcd3|@grpc/grpc-js|@pulumi/pulumi)(/|$)";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "test/.work/**", "examples/**/node_modules/**", "**/sdks/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.mjs"],
    languageOptions: { globals: { URL: "readonly", console: "readonly", process: "readonly" } },
  },
  {
    rules: {
      "@typescript-eslint/no-non-null-assertion": "off",
    },
  },
  {
    files: ["planning/**/*.ts"],
    rules: layer(
      "planning/ is pure: it imports no other layer (components, provider) and nothing that does I/O",
      "(^|/)(components|provider)(/|$)",
      IO,
    ),
  },
  {
    files: ["components/**/*.ts"],
    rules: layer(
      "components/ runs in the user's program: it imports planning/ only (never the provider's code)",
      "(^|/)provider(/|$)",
      "^(ssh2|etcd3)$",
    ),
  },
  {
    files: ["provider/**/*.ts"],
    ignores: ["provider/construct.ts"],
    rules: layer(
      "provider/ imports planning/ (components/ only in provider/construct.ts, to build components for other languages)",
      "(^|/)components(/|$)",
    ),
  },
);
