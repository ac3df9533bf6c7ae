import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // E2E files share one bed: run files one at a time.
    fileParallelism: false,
    testTimeout: 900_000,
    hookTimeout: 900_000,
    reporters: ["default"],
  },
});
