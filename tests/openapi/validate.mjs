// Validates an OpenAPI document file with @apidevtools/swagger-parser (schema of the spec, $refs, operation ids).
// Usage: node tests/openapi/validate.mjs FILE   → prints "valid: <title> <version>" or the first problem, exit 1.
import SwaggerParser from "@apidevtools/swagger-parser";

const [file] = process.argv.slice(2);
if (!file) {
  console.error("usage: validate.mjs FILE");
  process.exit(2);
}
try {
  const api = await SwaggerParser.validate(file);
  console.log(`valid: ${api.info.title} ${api.info.version} (OpenAPI ${api.openapi}, ${Object.keys(api.paths).length} paths)`);
} catch (error) {
  console.error(`invalid: ${error.message}`);
  process.exit(1);
}
