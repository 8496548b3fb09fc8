// Writes endive.json: every /v1 operation of Stripe's API with the schema of its parameters, and the
// always-present fields of every Stripe object, read from the type declarations of the stripe-node
// release pinned in package.json (see README.md for the mapping rules).
//
// Run: npm ci && node generate.mjs

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SDK = path.join(HERE, 'node_modules', 'stripe');
const RESOURCES = path.join(SDK, 'cjs', 'resources');
const OUTPUT = path.join(HERE, 'endive.json');

const sdkVersion = JSON.parse(fs.readFileSync(path.join(SDK, 'package.json'), 'utf8')).version;
// The API version the SDK release was generated for (`exports.ApiVersion = '2026-10-28.endive'`).
const apiVersionSource = fs.readFileSync(path.join(SDK, 'cjs', 'apiVersion.js'), 'utf8');
const API_VERSION = /exports\.ApiVersion = '([^']+)'/.exec(apiVersionSource)?.[1];
if (!API_VERSION) throw new Error('cjs/apiVersion.js names no ApiVersion');

function filesUnder(dir, suffix) {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return filesUnder(full, suffix);
      return full.endsWith(suffix) ? [full] : [];
    })
    .sort();
}

const declarationFiles = filesUnder(RESOURCES, '.d.ts');
const program = ts.createProgram(declarationFiles, {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.Node16,
  moduleResolution: ts.ModuleResolutionKind.Node16,
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  types: [],
});
const checker = program.getTypeChecker();

// ---------------------------------------------------------------------------------------------
// Operations: HTTP method and path of each resource method, from the compiled JavaScript.

/** `this._makeRequest('POST', `/v1/x/${encodeURIComponent(id)}`, ...)` → {method, path} per class method. */
function requestsInJavaScript(file) {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const requests = [];
  const visit = (node, className, methodName) => {
    if (ts.isClassDeclaration(node) && node.name) className = node.name.text;
    if (ts.isMethodDeclaration(node) && node.name) methodName = node.name.getText(source);
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      node.expression.expression.kind === ts.SyntaxKind.ThisKeyword &&
      node.expression.name.text === '_makeRequest'
    ) {
      const [methodArg, pathArg] = node.arguments;
      if (!ts.isStringLiteral(methodArg)) throw new Error(`${file}: ${methodName}: method is not a literal`);
      let template;
      if (ts.isStringLiteral(pathArg) || ts.isNoSubstitutionTemplateLiteral(pathArg)) {
        template = pathArg.text;
      } else if (ts.isTemplateExpression(pathArg)) {
        template = pathArg.head.text + pathArg.templateSpans.map((span) => '{}' + span.literal.text).join('');
      } else {
        throw new Error(`${file}: ${methodName}: path is not a template`);
      }
      requests.push({ className, methodName, method: methodArg.text.toUpperCase(), path: template });
    }
    ts.forEachChild(node, (child) => visit(child, className, methodName));
  };
  visit(source, undefined, undefined);
  return requests;
}

/** A resource class, named by its module (`Checkout/Sessions`) since class names repeat across modules. */
const classKey = (file, className) => `${path.relative(RESOURCES, file).replace(/\.(d\.ts|js)$/, '')}:${className}`;

/** classKey → methodName → the declared `params` type (or null when the method takes none). */
function paramsTypesInDeclarations() {
  const byClass = new Map();
  for (const file of declarationFiles) {
    const source = program.getSourceFile(file);
    for (const statement of source.statements) {
      if (!ts.isClassDeclaration(statement) || !statement.name) continue;
      const key = classKey(file, statement.name.text);
      const methods = byClass.get(key) ?? new Map();
      byClass.set(key, methods);
      for (const member of statement.members) {
        if (!ts.isMethodDeclaration(member) || !member.name) continue;
        const name = member.name.getText(source);
        const params = member.parameters.find((p) => p.name.getText(source) === 'params');
        if (params?.type) methods.set(name, checker.getTypeFromTypeNode(params.type));
        else if (!methods.has(name)) methods.set(name, null);
      }
    }
  }
  return byClass;
}

// ---------------------------------------------------------------------------------------------
// Schemas

let anyCount = 0;
const anyPlaces = [];

const isDecimalName = (name) => /(_percent|^percent|percent_off|percentage|percent_ownership)$/.test(name ?? '');
const isDecimalDoc = (doc) =>
  /non-negative decimal|positive float|accepts decimal values|\d+ decimal places|at most \w+ decimal places/i.test(
    doc ?? '',
  );

function docOf(symbol) {
  return ts.displayPartsToString(symbol.getDocumentationComment(checker));
}

function isOtherString(type) {
  // `OtherString = string & Record<never, never>`: the SDK's open-enum escape hatch.
  return (
    type.flags & ts.TypeFlags.Intersection && type.types.some((part) => part.flags & ts.TypeFlags.String)
  );
}

function isDecimalType(type) {
  const names = [type.aliasSymbol?.name, type.getSymbol()?.name];
  return names.includes('Decimal');
}

/** The SDK's `FileData` ({data, name, type}) is how it takes a multipart file part. */
function isFileData(type) {
  return type.getSymbol()?.name === 'FileData';
}

/** Sorting that does not depend on the machine's locale. */
function byCodePoint(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sameSchema(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Builds a union schema from parts: merges string literals into one enum, flattens any_of. */
function unionOf(parts) {
  const flat = parts.flatMap((part) => (part.t === 'any_of' ? part.of : [part]));
  const hasPlainString = flat.some((part) => part.t === 'string' && !part.enum);
  const literals = [...new Set(flat.filter((p) => p.t === 'string' && p.enum).flatMap((p) => p.enum))].sort();
  const others = [];
  for (const part of flat) {
    if (part.t === 'string' || part.t === 'empty') continue;
    // A form-encoded value is always text, so an unrestricted string absorbs the other scalars.
    if (hasPlainString && ['integer', 'number', 'boolean'].includes(part.t)) continue;
    if (!others.some((seen) => sameSchema(seen, part))) others.push(part);
  }
  const result = [];
  if (hasPlainString) result.push({ t: 'string' });
  else if (literals.length) result.push({ t: 'string', enum: literals });
  result.push(...others);
  if (flat.some((part) => part.t === 'empty')) result.push({ t: 'empty' });
  if (result.length === 0) return null;
  return result.length === 1 ? result[0] : { t: 'any_of', of: result };
}

/**
 * The schema of one TypeScript type. `name` is the parameter's name (for the integer/number rule),
 * `doc` its doc comment, `where` a human path for reports, `stack` the object types being expanded.
 */
function schemaOf(type, name, doc, where, stack) {
  if (isDecimalType(type) || isFileData(type)) return { t: 'string' };
  if (type.flags & ts.TypeFlags.Union) {
    const parts = [];
    let hasOtherString = false;
    let hasLiteral = false;
    for (const member of type.types) {
      if (isOtherString(member)) {
        hasOtherString = true;
        continue;
      }
      if (member.flags & ts.TypeFlags.StringLiteral && member.value !== '') hasLiteral = true;
      const schema = schemaOf(member, name, doc, where, stack);
      if (schema) parts.push(schema);
    }
    // `'a' | OtherString` is a closed enum in Stripe's API; a bare `OtherString` is any string.
    if (hasOtherString && !hasLiteral) parts.push({ t: 'string' });
    const union = unionOf(parts);
    return union ?? unresolved(type, where);
  }
  if (type.flags & (ts.TypeFlags.Null | ts.TypeFlags.Undefined | ts.TypeFlags.Void)) return null;
  if (type.flags & ts.TypeFlags.StringLiteral) return type.value === '' ? { t: 'empty' } : { t: 'string', enum: [type.value] };
  if (isOtherString(type)) return { t: 'string' };
  if (type.flags & ts.TypeFlags.String) return { t: 'string' };
  if (type.flags & (ts.TypeFlags.Number | ts.TypeFlags.NumberLiteral)) {
    return isDecimalName(name) || isDecimalDoc(doc) ? { t: 'number' } : { t: 'integer' };
  }
  if (type.flags & (ts.TypeFlags.Boolean | ts.TypeFlags.BooleanLiteral)) return { t: 'boolean' };
  if (checker.isArrayType(type) || checker.isTupleType(type)) {
    const [element] = checker.getTypeArguments(type);
    const items = element ? schemaOf(element, name, doc, `${where}[]`, stack) : null;
    return { t: 'array', items: items ?? unresolved(type, `${where}[]`) };
  }
  if (type.getCallSignatures().length) return unresolved(type, where);
  if (type.flags & ts.TypeFlags.Object || type.flags & ts.TypeFlags.Intersection) {
    return objectSchema(type, where, stack);
  }
  return unresolved(type, where);
}

function unresolved(type, where) {
  anyCount += 1;
  anyPlaces.push(`${where}: ${checker.typeToString(type)}`);
  return { t: 'any' };
}

/** Whether a property is declared `Emptyable<…>` (alone or as a member of a union). */
function declaredEmptyable(declaration) {
  const node = declaration?.type;
  if (!node) return false;
  const members = ts.isUnionTypeNode(node) ? node.types : [node];
  return members.some(
    (member) => ts.isTypeReferenceNode(member) && /(^|\.)Emptyable$/.test(member.typeName.getText()),
  );
}

function objectSchema(type, where, stack) {
  if (stack.includes(type)) return unresolved(type, `${where} (recursive)`);
  const inner = [...stack, type];
  const props = {};
  const req = [];
  for (const property of [...checker.getPropertiesOfType(type)].sort((a, b) => byCodePoint(a.name, b.name))) {
    const declaration = property.valueDeclaration ?? property.declarations?.[0];
    const propertyType = checker.getTypeOfSymbol(property);
    const doc = docOf(property);
    let schema = schemaOf(propertyType, property.name, doc, `${where}.${property.name}`, inner);
    // TypeScript reduces `string | ''` to `string`, so `Emptyable<string>` is read off the
    // declaration: such a field may be sent as '' to unset it.
    if (schema && declaredEmptyable(declaration)) schema = unionOf([schema, { t: 'empty' }]);
    props[property.name] = schema ?? unresolved(propertyType, `${where}.${property.name}`);
    const optional = property.flags & ts.SymbolFlags.Optional || (declaration && declaration.questionToken);
    if (!optional) req.push(property.name);
  }
  const result = { t: 'object', props, req };
  const index = checker.getIndexInfosOfType(type).find((info) => info.keyType.flags & ts.TypeFlags.String);
  if (index) {
    result.extra = schemaOf(index.type, undefined, undefined, `${where}[key]`, inner) ?? unresolved(index.type, `${where}[key]`);
  }
  return result;
}

/** The union of two parameter schemas of the same operation. */
function mergeParams(a, b) {
  const props = { ...a.props };
  for (const [name, schema] of Object.entries(b.props)) {
    props[name] = name in props && !sameSchema(props[name], schema) ? unionOf([props[name], schema]) : schema;
  }
  const req = a.req.filter((name) => b.req.includes(name));
  const merged = { t: 'object', props: Object.fromEntries(Object.entries(props).sort(([x], [y]) => byCodePoint(x, y))), req };
  if (a.extra || b.extra) merged.extra = a.extra ?? b.extra;
  return merged;
}

function buildOperations() {
  const paramsTypes = paramsTypesInDeclarations();
  const operations = new Map();
  const missing = [];
  const merged = [];
  for (const file of filesUnder(RESOURCES, '.js')) {
    if (path.relative(RESOURCES, file).startsWith(`V2${path.sep}`)) continue; // the /v2 API
    for (const request of requestsInJavaScript(file)) {
      if (!request.path.startsWith('/v1/')) continue;
      const methods = paramsTypes.get(classKey(file, request.className));
      if (!methods?.has(request.methodName)) missing.push(`${classKey(file, request.className)}.${request.methodName}`);
      const paramsType = methods?.get(request.methodName);
      const where = `${request.method} ${request.path}`;
      const params = paramsType
        ? schemaOf(paramsType, undefined, undefined, where, [])
        : { t: 'object', props: {}, req: [] };
      if (params.t !== 'object') throw new Error(`${where}: params are not an object`);
      const key = `${request.path} ${request.method}`;
      const previous = operations.get(key);
      if (previous) merged.push(`${where} (${classKey(file, request.className)}.${request.methodName})`);
      operations.set(key, {
        method: request.method,
        path: request.path,
        params: previous ? mergeParams(previous.params, params) : params,
      });
    }
  }
  if (missing.length) throw new Error(`methods with no declaration: ${missing.join(', ')}`);
  for (const place of merged) console.log(`merged a second SDK method into ${place}`);
  return [...operations.values()].sort((a, b) =>
    a.path === b.path ? byCodePoint(a.method, b.method) : byCodePoint(a.path, b.path),
  );
}

// ---------------------------------------------------------------------------------------------
// Objects: top-level interfaces with an `object: 'literal'` field.

function buildObjects() {
  const objects = {};
  const owners = {};
  for (const file of declarationFiles) {
    const relative = path.relative(RESOURCES, file);
    if (relative.startsWith(`V2${path.sep}`)) continue;
    const source = program.getSourceFile(file);
    for (const statement of source.statements) {
      if (!ts.isInterfaceDeclaration(statement)) continue;
      const type = checker.getTypeAtLocation(statement.name);
      const objectField = type.getProperty('object');
      if (!objectField) continue;
      const objectType = checker.getTypeOfSymbol(objectField);
      if (!(objectType.flags & ts.TypeFlags.StringLiteral)) continue;
      // `CustomerCreatedEvent extends EventBase`: the base interface describes the object.
      const bases = (statement.heritageClauses ?? []).flatMap((clause) => clause.types);
      const refinesBase = bases.some((base) => {
        const field = checker.getTypeAtLocation(base).getProperty('object');
        return field && checker.getTypeOfSymbol(field) === objectType;
      });
      if (refinesBase) continue;
      const deleted = type.getProperty('deleted');
      const isDeleted = deleted && checker.getTypeOfSymbol(deleted).flags & ts.TypeFlags.BooleanLiteral;
      const key = `${isDeleted ? 'deleted ' : ''}${objectType.value}`;
      const owner = `${relative}:${statement.name.text}`;
      if (objects[key]) throw new Error(`object ${key} declared twice: ${owners[key]} and ${owner}`);
      const always = [];
      const optional = [];
      for (const property of checker.getPropertiesOfType(type)) {
        // `deleted?: void` on a live object says the field never appears.
        const fieldType = checker.getTypeOfSymbol(property);
        const parts = fieldType.flags & ts.TypeFlags.Union ? fieldType.types : [fieldType];
        if (parts.every((part) => part.flags & (ts.TypeFlags.Void | ts.TypeFlags.Undefined))) continue;
        (property.flags & ts.SymbolFlags.Optional ? optional : always).push(property.name);
      }
      objects[key] = { always: always.sort(), optional: optional.sort() };
      owners[key] = owner;
    }
  }
  return Object.fromEntries(Object.entries(objects).sort(([a], [b]) => byCodePoint(a, b)));
}

// ---------------------------------------------------------------------------------------------

const diagnostics = ts.getPreEmitDiagnostics(program).filter((d) => d.category === ts.DiagnosticCategory.Error);
if (diagnostics.length) {
  console.warn(`${diagnostics.length} TypeScript errors in the declarations, first:`);
  console.warn(ts.flattenDiagnosticMessageText(diagnostics[0].messageText, '\n'));
}

const operations = buildOperations();
const objects = buildObjects();

const lines = [
  '{',
  `"api_version":${JSON.stringify(API_VERSION)},`,
  `"source":${JSON.stringify(`stripe@${sdkVersion} (npm) type declarations`)},`,
  '"operations":[',
  operations.map((operation) => JSON.stringify(operation)).join(',\n'),
  '],',
  '"objects":{',
  Object.entries(objects)
    .map(([key, fields]) => `${JSON.stringify(key)}:${JSON.stringify(fields)}`)
    .join(',\n'),
  '}',
  '}',
  '',
];
fs.writeFileSync(OUTPUT, lines.join('\n'));

console.log(`operations: ${operations.length}`);
console.log(`objects: ${Object.keys(objects).length}`);
console.log(`unresolved ("any") schemas: ${anyCount}`);
for (const place of anyPlaces.slice(0, 20)) console.log(`  ${place}`);
console.log(`size: ${fs.statSync(OUTPUT).size} bytes → ${path.relative(process.cwd(), OUTPUT)}`);
