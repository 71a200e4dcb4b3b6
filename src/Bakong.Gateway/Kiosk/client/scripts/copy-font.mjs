// Copies the Khmer font into ../wwwroot, beside the page that uses it (kiosk.css's @font-face): Noto Sans Khmer from
// @fontsource/noto-sans-khmer (pinned in package.json), its Khmer subset only (Latin comes from the page's other
// fonts), regular and bold, as woff2, with its SIL Open Font License, which must travel with the font. Part of
// `npm run build`, so .ci/run's regeneration check covers the copies too.
import { copyFileSync } from "node:fs";

const from = "node_modules/@fontsource/noto-sans-khmer/";
const to = "../wwwroot/";
for (const weight of [400, 700]) {
  copyFileSync(`${from}files/noto-sans-khmer-khmer-${weight}-normal.woff2`, `${to}noto-sans-khmer-${weight}.woff2`);
}

copyFileSync(`${from}LICENSE`, `${to}noto-sans-khmer-OFL.txt`);
