#!/usr/bin/env node
// The wijkradar command. Runs the compiled CLI (npm run build, or npm start, compiles it).
import("../dist/cli/main.js")
  .then((m) => m.main(process.argv))
  .then((code) => {
    process.exitCode = code;
  })
  .catch((e) => {
    if (e && e.code === "ERR_MODULE_NOT_FOUND")
      console.error("wijkradar is not built yet: run `npm run build` first.");
    else console.error(e);
    process.exitCode = 70;
  });
