import { defineConfig } from "@playwright/test";

// The browser journey against the local stack (scripts/web.sh e2e starts the server and
// sets WEB_URL). Chromium is Debian's package: Playwright's own browser download is not used.
export default defineConfig({
  testDir: "e2e",
  outputDir: "test-results",
  workers: 1,
  timeout: 180_000,
  expect: { timeout: 20_000 },
  reporter: [["list"]],
  use: {
    baseURL: process.env.WEB_URL,
    headless: true,
    launchOptions: { executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium", args: ["--no-sandbox"] },
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    viewport: { width: 1100, height: 800 },
    locale: "en-US",
    timezoneId: "UTC",
  },
});
