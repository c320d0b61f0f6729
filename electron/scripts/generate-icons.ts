// Renders the app and tray icons from inline SVG with sharp. The PNGs are committed; rerun with
// `npm run icons -w electron` after changing a drawing.
//   build/icon.png                      1024 px app icon (electron-builder derives .icns/.ico)
//   assets/icon.png                     256 px window icon
//   assets/tray/tray-<state>.png        22 px + @2x, coloured (Linux, Windows)
//   assets/tray/tray-<state>Template.png 16 px + @2x, black + alpha (macOS template images)
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const root = fileURLToPath(new URL('..', import.meta.url));
const STATES = {
  idle: '#1f9d55',
  working: '#0a6cff',
  paused: '#c27c0e',
  error: '#d93025',
} as const;

const appIcon = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1024 1024">
  <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">
    <stop offset="0" stop-color="#2f80ff"/><stop offset="1" stop-color="#6a4dff"/></linearGradient></defs>
  <rect x="64" y="64" width="896" height="896" rx="200" fill="url(#g)"/>
  <rect x="232" y="300" width="560" height="380" rx="56" fill="none" stroke="#fff" stroke-width="56"/>
  <path d="M448 400 L600 490 L448 580 Z" fill="#fff"/>
  <rect x="372" y="740" width="280" height="48" rx="24" fill="#fff" opacity="0.85"/>
</svg>`;

// A small film frame with a state badge: readable at 16–22 px.
const trayIcon = (
  badge: string | undefined,
  fg: string,
) => `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
  <rect x="3" y="7" width="22" height="16" rx="3" fill="none" stroke="${fg}" stroke-width="2.6"/>
  <path d="M11 11.5 L17.5 15 L11 18.5 Z" fill="${fg}"/>
  ${badge ? `<circle cx="25" cy="24" r="6.5" fill="${badge}" stroke="${fg === '#000' ? 'none' : '#fff'}" stroke-width="1.5"/>` : ''}
</svg>`;

// Template images carry the state in the badge's shape, since they are monochrome.
const templateBadge: Record<keyof typeof STATES, string> = {
  idle: '',
  working: '<circle cx="25" cy="24" r="5.5" fill="#000"/>',
  paused:
    '<rect x="21" y="19" width="3" height="10" fill="#000"/><rect x="26" y="19" width="3" height="10" fill="#000"/>',
  error: '<path d="M25 17 L31.5 29 L18.5 29 Z" fill="#000"/>',
};

const render = (svg: string, size: number, file: string) =>
  sharp(Buffer.from(svg), { density: 600 }).resize(size, size).png().toFile(`${root}/${file}`);

await mkdir(`${root}/build`, { recursive: true });
await mkdir(`${root}/assets/tray`, { recursive: true });
await render(appIcon, 1024, 'build/icon.png');
await render(appIcon, 256, 'assets/icon.png');
for (const [state, colour] of Object.entries(STATES) as [keyof typeof STATES, string][]) {
  const coloured = trayIcon(colour, '#8a8a8e');
  await render(coloured, 22, `assets/tray/tray-${state}.png`);
  await render(coloured, 44, `assets/tray/tray-${state}@2x.png`);
  const template = trayIcon(undefined, '#000').replace('</svg>', `${templateBadge[state]}</svg>`);
  await render(template, 16, `assets/tray/tray-${state}Template.png`);
  await render(template, 32, `assets/tray/tray-${state}Template@2x.png`);
}
console.log('icons written to electron/build and electron/assets');
