import { defineConfig } from "vite";
import preact from "@preact/preset-vite";

// The build is plain files (no inline script or style, so the CSP needs no
// 'unsafe-inline'); `vite` in development proxies /v1 to WALLET_API_URL.
export default defineConfig({
  plugins: [preact()],
  build: { target: "es2022", modulePreload: { polyfill: false }, assetsInlineLimit: 0, reportCompressedSize: true },
  server: process.env.WALLET_API_URL ? { proxy: { "/v1": { target: process.env.WALLET_API_URL, changeOrigin: true } } } : {},
});
