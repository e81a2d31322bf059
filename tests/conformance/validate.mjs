#!/usr/bin/env node
// Checks every recorded live response (tests/support/http_client.cpp writes one JSON line per
// response when FRESHLANE_RECORD_RESPONSES is set) against openapi.yaml:
//  - the request's path and method are described (else the answer must be 404 / 405);
//  - the status is documented for the operation (a `default` only covers the generic statuses
//    every operation can get: 400 bad_request/malformed_json, 405, 413, 415, 429, 431, 500,
//    501, 503);
//  - the content type is one the response declares, and the body validates against its schema
//    (JSON Schema 2020-12 through Ajv, as OpenAPI 3.1 says);
//  - a problem+json body validates against components.schemas.Problem, its `code` is in the
//    enum and its status is the one the code goes with, and it has no member the Problem schema
//    does not describe;
//  - Retry-After / Allow / Location sent are declared on the response, and declared required
//    ones are sent.
// Usage: validate.mjs <openapi.yaml> <records.jsonl>...   Exit 1 on any finding.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const tools = new URL('../../scripts/lint/node_modules/', import.meta.url).pathname;
const YAML = require(tools + 'yaml');
const Ajv2020 = require(tools + 'ajv/dist/2020').default;
const addFormats = require(tools + 'ajv-formats');

const [specPath, ...recordPaths] = process.argv.slice(2);
if (!specPath || recordPaths.length === 0) {
  console.error('usage: validate.mjs <openapi.yaml> <records.jsonl>...');
  process.exit(2);
}
const spec = YAML.parse(readFileSync(specPath, 'utf8'));
if (!/^3\.1\./.test(spec.openapi)) {
  // 3.0 schemas would need `nullable` turned into type arrays first; this file is 3.1.
  console.error(`validate: openapi ${spec.openapi} is not 3.1.x; convert nullable first`);
  process.exit(2);
}

const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
addFormats(ajv);
ajv.addSchema(spec, 'oas');
const escape = (s) => s.replace(/~/g, '~0').replace(/\//g, '~1');
const validators = new Map();
function validatorAt(pointer) {
  if (!validators.has(pointer)) validators.set(pointer, ajv.getSchema('oas#' + pointer));
  return validators.get(pointer);
}
function deref(obj) {
  let seen = 0;
  while (obj && obj.$ref && seen++ < 10) {
    obj = obj.$ref.slice(2).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce((o, k) => (o ? o[k] : undefined), spec);
  }
  return obj;
}
// The pointer to a response object, following $refs (so validators are shared).
function responsePointer(op, opPointer, key) {
  let obj = op.responses[key];
  let pointer = `${opPointer}/responses/${escape(key)}`;
  while (obj && obj.$ref) {
    pointer = obj.$ref.slice(1);
    obj = deref({ $ref: obj.$ref });
  }
  return { obj, pointer };
}

const problemSchema = spec.components?.schemas?.Problem ?? {};
const problemCodes = new Set(problemSchema.properties?.code?.enum ?? []);
const problemMembers = new Set(Object.keys(problemSchema.properties ?? {}));
const genericStatuses = new Set([400, 405, 413, 415, 429, 431, 500, 501, 503]);
const genericCodes = new Set(['bad_request', 'malformed_json', 'method_not_allowed',
  'payload_too_large', 'unsupported_media_type', 'rate_limited',
  'request_header_fields_too_large', 'internal', 'not_implemented', 'unavailable']);
const watchedHeaders = ['retry-after', 'allow', 'location'];

// Path templates, most literal first so /v1/couriers/me/trip wins over /v1/couriers/{id}.
const templates = Object.keys(spec.paths).map((t) => ({
  template: t,
  re: new RegExp('^' + t.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+') + '$'),
  params: (t.match(/\{/g) || []).length,
})).sort((a, b) => a.params - b.params);

const findings = new Map();  // message -> {count, example}
function finding(message, rec) {
  const f = findings.get(message) ?? { count: 0, example: rec };
  f.count++;
  findings.set(message, f);
}

// `schemaChecked`: the body was validated against its response's schema already.
function checkProblem(rec, where, body, schemaChecked = false) {
  const validate = validatorAt('/components/schemas/Problem');
  if (!schemaChecked && !validate(body)) {
    for (const e of validate.errors) {
      if (e.instancePath === '/code' && e.keyword === 'enum') continue;  // said below, by name
      finding(`${where}: problem body ${e.instancePath || '/'} ${e.message}`, rec);
    }
  }
  if (typeof body.code === 'string' && !problemCodes.has(body.code)) {
    finding(`${where}: problem code ${body.code} is not in Problem.code's enum`, rec);
  }
  if (body.status !== undefined && body.status !== rec.status) {
    finding(`${where}: problem status member ${body.status} differs from the HTTP status ${rec.status}`, rec);
  }
  for (const k of Object.keys(body)) {
    if (!problemMembers.has(k)) finding(`${where}: problem member \`${k}\` (code ${body.code}) is not described on Problem`, rec);
  }
}

let records = 0;
for (const file of recordPaths) {
  for (const text of readFileSync(file, 'utf8').split('\n')) {
    if (!text.trim()) continue;
    const rec = JSON.parse(text);
    records++;
    const ctype = (rec.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    let body;
    if (ctype.endsWith('json') && rec.body !== '') {
      try { body = JSON.parse(rec.body); } catch (e) { finding(`${rec.status} ${ctype}: body is not JSON`, rec); continue; }
    }
    const isProblem = ctype === 'application/problem+json';
    if (rec.status >= 400 && !isProblem && rec.body !== '') {
      finding(`${rec.status}: error answered as ${ctype || 'no content type'}, not application/problem+json`, rec);
    }
    const path = rec.target.split('?')[0];
    const match = rec.method ? templates.find((t) => t.re.test(path)) : undefined;
    if (!match) {
      // Unparseable requests and unknown paths: the generic problems only.
      const where = rec.method ? `${rec.method} <undescribed path>` : '<unparsed request>';
      if (!(isProblem && (genericStatuses.has(rec.status) || rec.status === 404))) {
        finding(`${where}: answered ${rec.status} ${ctype}`, rec);
      }
      if (isProblem && body) checkProblem(rec, where, body);
      continue;
    }
    const method = rec.method.toLowerCase();
    const item = spec.paths[match.template];
    const op = item[method];
    const opName = `${rec.method} ${match.template}`;
    if (!op) {
      if (rec.status !== 405 && !(genericStatuses.has(rec.status) && isProblem)) {
        finding(`${opName} (not described): answered ${rec.status}`, rec);
      }
      if (isProblem && body) checkProblem(rec, opName, body);
      continue;
    }
    const opPointer = `/paths/${escape(match.template)}/${method}`;
    const key = [String(rec.status), `${String(rec.status)[0]}XX`].find((k) => op.responses[k]) ??
      (op.responses.default && genericStatuses.has(rec.status) &&
       (!isProblem || !body || genericCodes.has(body.code)) ? 'default' : undefined);
    const where = `${opName} → ${rec.status}`;
    if (!key) {
      finding(`${where}${isProblem && body ? ' ' + body.code : ''}: status not documented`, rec);
      if (isProblem && body) checkProblem(rec, where, body);
      continue;
    }
    const { obj: response, pointer } = responsePointer(op, opPointer, key);
    // Headers.
    const declared = Object.fromEntries(Object.entries(response.headers ?? {})
      .map(([k, v]) => [k.toLowerCase(), deref(v)]));
    for (const h of watchedHeaders) {
      if (rec.headers[h] !== undefined && !declared[h]) finding(`${where}: sends ${h} but the response does not declare it`, rec);
    }
    for (const [h, d] of Object.entries(declared)) {
      if (d?.required && rec.headers[h] === undefined) finding(`${where}: declares required header ${h} but it was not sent`, rec);
    }
    // Content.
    const content = response.content ?? {};
    if (rec.body === '' && (rec.status === 204 || rec.status === 304 || Object.keys(content).length === 0)) continue;
    if (Object.keys(content).length === 0) {
      finding(`${where}: a ${ctype} body, but the response declares no content`, rec);
      continue;
    }
    if (!content[ctype]) {
      finding(`${where}: content type ${ctype || '(none)'} is not declared (${Object.keys(content).join(', ')})`, rec);
      continue;
    }
    if (body !== undefined && content[ctype].schema) {
      const validate = validatorAt(`${pointer}/content/${escape(ctype)}/schema`);
      if (!validate) { finding(`${where}: cannot compile the schema`, rec); continue; }
      if (!validate(body)) {
        for (const e of validate.errors.slice(0, 5)) {
          if (isProblem && e.instancePath === '/code' && e.keyword === 'enum') continue;
          finding(`${where}: body ${e.instancePath || '/'} ${e.message}`, rec);
        }
      }
    }
    if (isProblem && body) checkProblem(rec, where, body, content[ctype].schema !== undefined);
  }
}

if (findings.size === 0) {
  console.log(`conformance: ${records} recorded responses agree with ${specPath}`);
  process.exit(0);
}
const sorted = [...findings.entries()].sort((a, b) => a[0].localeCompare(b[0]));
console.log(`conformance: ${findings.size} findings in ${records} recorded responses\n`);
for (const [message, { count, example }] of sorted) {
  console.log(`- ${message}  [${count}×, e.g. ${example.test}: ${example.method} ${example.target}${example.body ? ' ' + example.body.slice(0, 160) : ''}]`);
}
process.exit(1);
