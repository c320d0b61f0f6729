// Builds the UI to renderer/dist as plain files the Electron window loads with file://, hence
// relative asset URLs and no inline scripts (the page's CSP forbids them).
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  root: import.meta.dirname,
  base: './',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'chrome130',
    // A data: URL module preload polyfill would be blocked by the CSP.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
});
