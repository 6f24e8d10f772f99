// An independent Confluent-wire-format client (@kafkajs/confluent-schema-registry, built on avsc) talking to our
// registry endpoint. Usage:
//   node interop.js decode <registryUrl> <hexBytes>            -> prints the decoded record as JSON
//   node interop.js encode <registryUrl> <subject> <schemaFile> <jsonFile> -> prints the wire-format bytes as hex
const { SchemaRegistry, SchemaType } = require('@kafkajs/confluent-schema-registry');
const fs = require('fs');

async function main() {
  const [mode, url, ...rest] = process.argv.slice(2);
  const registry = new SchemaRegistry({ host: url });
  if (mode === 'decode') {
    const decoded = await registry.decode(Buffer.from(rest[0], 'hex'));
    process.stdout.write(JSON.stringify(decoded));
  } else if (mode === 'encode') {
    const [subject, schemaFile, jsonFile] = rest;
    const { id } = await registry.register(
      { type: SchemaType.AVRO, schema: fs.readFileSync(schemaFile, 'utf8') }, { subject });
    const payload = JSON.parse(fs.readFileSync(jsonFile, 'utf8'));
    const bytes = await registry.encode(id, payload);
    process.stdout.write(bytes.toString('hex'));
  } else {
    throw new Error('unknown mode ' + mode);
  }
}

main().catch(e => { console.error(e && e.stack || e); process.exit(1); });
