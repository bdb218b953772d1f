// Builds the landing page: bundles the modular Firebase JS SDK with our scripts (no CDN at run time),
// fingerprints the assets so /assets/** can be cached for a year, and writes the pages to hosting/public.
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const src = join(here, "src");
const out = join(here, "public");
const project = JSON.parse(readFileSync(join(here, "..", ".firebaserc"), "utf8")).projects.default;

rmSync(join(out, "assets"), { recursive: true, force: true });
mkdirSync(join(out, "assets"), { recursive: true });

const result = await build({
  entryPoints: {
    main: join(src, "main.js"),
    result: join(src, "result.js"),
    order: join(src, "order.js"),
    admin: join(src, "admin.js"),
  },
  bundle: true,
  splitting: true,
  format: "esm",
  minify: true,
  target: "es2020",
  outdir: join(out, "assets"),
  entryNames: "[name]-[hash]",
  chunkNames: "chunk-[hash]",
  metafile: true,
  legalComments: "none",
  logLevel: "warning",
});
const entry = (name) => {
  const [file] = Object.entries(result.metafile.outputs).find(([, o]) => o.entryPoint?.endsWith(`${name}.js`));
  return `/assets/${file.split("/").pop()}`;
};

const css = readFileSync(join(src, "styles.css"));
const cssName = `styles-${createHash("sha256").update(css).digest("hex").slice(0, 10)}.css`;
writeFileSync(join(out, "assets", cssName), css);

// the console's own stylesheet, so the landing page never loads it
const adminCss = readFileSync(join(src, "admin.css"));
const adminCssName = `admin-${createHash("sha256").update(adminCss).digest("hex").slice(0, 10)}.css`;
writeFileSync(join(out, "assets", adminCssName), adminCss);

const partial = (name) => readFileSync(join(src, "partials", `${name}.html`), "utf8").trimEnd();
const vars = {
  "%HEAD%": partial("head"),
  "%HEADER%": partial("header"),
  "%FACTS%": partial("facts"),
  "%STYLES%": `/assets/${cssName}`,
  "%MAIN%": entry("main"),
  "%RESULT%": entry("result"),
  "%ORDER%": entry("order"),
  "%PROJECT%": project,
  "%ADMIN%": entry("admin"),
  "%ADMIN_STYLES%": `/assets/${adminCssName}`,
  // App Check (hosting/src/appcheck.js): empty builds use the local debug token on the emulators only
  "%APP_CHECK_SITE_KEY%": process.env.APP_CHECK_SITE_KEY ?? "",
  "%APP_CHECK_DEBUG_TOKEN%": process.env.APP_CHECK_DEBUG_TOKEN ?? "",
};
// index: the offer; success/cancel: after Checkout; order: the buyer's lookup
const pages = ["index", "success", "cancel", "order", "admin"];
for (const page of pages) {
  let html = readFileSync(join(src, `${page}.html`), "utf8");
  for (const [k, v] of Object.entries(vars)) html = html.replaceAll(k, v);
  writeFileSync(join(out, `${page}.html`), html);
}
writeFileSync(join(out, "favicon.svg"), readFileSync(join(src, "favicon.svg")));
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0) + css.length + adminCss.length;
console.log(`hosting: built ${pages.length} pages, ${(bytes / 1024).toFixed(1)} KiB of assets`);
