// Compiles src/ to dist/. It is also the `prepare` script, which npm runs when the
// package is installed from a folder (`npm install ./clients/typescript`, linked or
// copied) or packed, without installing this package's devDependencies first: so
// it installs them itself when TypeScript is missing.
import { execFileSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
function run(args) {
  try {
    execFileSync(process.execPath, args, { cwd: root, stdio: "inherit" });
  } catch (err) {
    // The command has printed why; a stack trace of this script would only hide it.
    process.exit(err.status ?? 1);
  }
}

if (!existsSync(tsc)) {
  // npm_execpath is the npm running this script; --include=dev overrides an
  // --omit=dev inherited from the install that triggered us.
  const npm = process.env.npm_execpath;
  const args = ["ci", "--include=dev", "--ignore-scripts", "--no-audit", "--no-fund"];
  if (npm) run([npm, ...args]);
  else execFileSync("npm", args, { cwd: root, stdio: "inherit" });
}
rmSync(join(root, "dist"), { recursive: true, force: true });
run([tsc, "-p", "tsconfig.json"]);
