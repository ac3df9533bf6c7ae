// `npm run gen`: writes schema.json and components/common/resourceSpecs.ts from the TypeScript
// declarations, the one source of the package's public API (`--check`: only compares).
//   - components: the classes provider/construct.ts serves; inputs are the properties of the
//     constructor's `args` type, outputs the class's public fields that are Outputs (or objects of
//     Outputs, like ClientCertificate). Fields of other types (an EtcdMember[], a plain string) and
//     inputs that take a resource object (cluster: EtcdCluster) or a list of them (installAfter:
//     Resource[]; other languages have the dependsOn option) are TypeScript-only.
//   - custom resources: every `customResource<Inputs, Outputs>("token")` in components/, with the
//     interfaces of planning/<domain>/resourceTypes.ts.
// Descriptions are the TSDoc comments; `@secret` marks a secret; `?` an optional property (`@required`:
// required in the schema, where the TypeScript-only alternative does not exist);
// pulumi.Input<T>/Output<T> are unwrapped. Every object type must be a named interface (its schema
// type is etcd:index:<Name>; Partial<X> is PartialX).
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import * as prettier from "prettier";
import ts from "typescript";

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const SCHEMA = path.join(repo, "schema.json");
export const SPECS = path.join(repo, "components", "common", "resourceSpecs.ts");

function program() {
  const config = ts.readConfigFile(path.join(repo, "tsconfig.json"), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, repo);
  return ts.createProgram(parsed.fileNames, { ...parsed.options, noEmit: true });
}

/** Analyses the declarations; returns the schema and the client classes' specs as objects. */
export function analyze() {
  const prog = program();
  const checker = prog.getTypeChecker();
  const types = {};
  const where = (node) => {
    const sf = node.getSourceFile();
    const { line } = sf.getLineAndCharacterOfPosition(node.getStart());
    return `${path.relative(repo, sf.fileName)}:${line + 1}`;
  };
  const fail = (node, message) => {
    throw new Error(`${node ? where(node) + ": " : ""}${message}`);
  };

  const docOf = (symbol) => ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim();
  const isSecret = (symbol) => symbol.getJsDocTags(checker).some((t) => t.name === "secret");
  const fromFile = (symbol, suffix) => (symbol?.declarations ?? []).some((d) => d.getSourceFile().fileName.endsWith(suffix));
  const symbolOf = (type) => type.getSymbol() ?? type.aliasSymbol;

  const isOutputInstance = (type) => {
    const s = symbolOf(type);
    return (s?.name === "OutputInstance" || s?.name === "Output") && fromFile(s, "output.d.ts");
  };
  /** T of Output<T> (an OutputInstance<T>, possibly intersected with Lifted<T>), else undefined. */
  const outputInner = (type) => {
    const parts = type.isIntersection() ? type.types : [type];
    const inst = parts.find(isOutputInstance);
    if (!inst) return undefined;
    const args = inst.aliasTypeArguments ?? checker.getTypeArguments(inst);
    return args[0];
  };
  /** T of Input<T> (T | Promise<T> | OutputInstance<T>), else undefined. */
  const inputInner = (type) => {
    if (!type.isUnion()) return undefined;
    const promise = type.types.find((t) => symbolOf(t)?.name === "Promise");
    if (!promise || !type.types.some(isOutputInstance)) return undefined;
    return checker.getTypeArguments(promise)[0];
  };
  const isResourceClass = (type) => {
    if (!type.isClass()) return false;
    // pulumi.Resource itself (installAfter: Resource[]), or a class derived from it.
    if (/Resource$/.test(symbolOf(type)?.name ?? "") && fromFile(symbolOf(type), "resource.d.ts")) return true;
    const bases = checker.getBaseTypes(type);
    return bases.some((b) => (/Resource$/.test(symbolOf(b)?.name ?? "") && fromFile(symbolOf(b), "resource.d.ts")) || isResourceClass(b));
  };
  const isNullish = (t) => (t.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null | ts.TypeFlags.Void)) !== 0;

  /** The type's name in the schema, and the type to read its properties from. */
  function named(type, node) {
    const alias = type.aliasSymbol?.name;
    if ((alias === "InputObject" || alias === "ResourceArgs") && type.aliasTypeArguments?.length === 1)
      return named(type.aliasTypeArguments[0], node);
    if (alias === "Partial" && type.aliasTypeArguments?.length === 1) {
      const inner = named(type.aliasTypeArguments[0], node);
      return { name: `Partial${inner.name}`, type, partial: true, docSymbol: inner.docSymbol };
    }
    if (alias) return { name: alias, type, docSymbol: type.aliasSymbol };
    const s = type.getSymbol();
    if (s && !s.name.startsWith("__")) return { name: s.name, type, docSymbol: s };
    // A mapped type (e.g. a components alias of InputObject<X>) keeps the declarations of X's properties.
    const parents = new Set(
      type
        .getProperties()
        .map((p) => p.declarations?.[0]?.parent)
        .filter(Boolean),
    );
    if (parents.size === 1) {
      const [decl] = parents;
      if (ts.isInterfaceDeclaration(decl)) return { name: decl.name.text, type, docSymbol: checker.getSymbolAtLocation(decl.name) };
    }
    return fail(node, `give this object type a name (an interface): ${checker.typeToString(type)}`);
  }

  /** The schema property for a type (Input/Output unwrapped); `optional` when undefined is allowed. */
  function property(type, node) {
    let optional = false;
    for (;;) {
      if (type.isUnion()) {
        const inner = inputInner(type);
        if (inner) {
          type = inner;
          continue;
        }
        // Nullish members make it optional; resource objects only work in TypeScript.
        const kept = type.types.filter((t) => !isNullish(t) && !isResourceClass(t));
        if (kept.length < type.types.filter((t) => !isResourceClass(t)).length) optional = true;
        if (kept.length === 0) return { skip: true };
        if (kept.every((t) => t.flags & ts.TypeFlags.BooleanLiteral)) return { prop: { type: "boolean" }, optional };
        if (kept.every((t) => t.flags & (ts.TypeFlags.StringLiteral | ts.TypeFlags.String))) return { prop: { type: "string" }, optional };
        if (kept.every((t) => t.flags & (ts.TypeFlags.NumberLiteral | ts.TypeFlags.Number))) return { prop: { type: "number" }, optional };
        if (kept.length !== 1) {
          // Input<T> where T is itself a union is a union of Output<T>, Promise<T> and T's members.
          const promise = kept.find((t) => symbolOf(t)?.name === "Promise");
          if (promise) {
            type = checker.getTypeArguments(promise)[0];
            continue;
          }
          return fail(node, `a union the schema cannot express: ${checker.typeToString(type)}`);
        }
        type = kept[0];
        continue;
      }
      const out = outputInner(type);
      if (out) {
        type = out;
        continue;
      }
      break;
    }
    if (isResourceClass(type)) return { skip: true };
    if (type.flags & (ts.TypeFlags.String | ts.TypeFlags.StringLiteral)) return { prop: { type: "string" }, optional };
    if (type.flags & (ts.TypeFlags.Number | ts.TypeFlags.NumberLiteral)) return { prop: { type: "number" }, optional };
    if (type.flags & (ts.TypeFlags.Boolean | ts.TypeFlags.BooleanLiteral)) return { prop: { type: "boolean" }, optional };
    if (checker.isArrayType(type)) {
      const item = property(checker.getTypeArguments(type)[0], node);
      if (item.skip) return { skip: true }; // a list of resource objects: TypeScript-only
      return { prop: { type: "array", items: item.prop }, optional };
    }
    if (type.flags & ts.TypeFlags.Object) {
      const index = checker.getIndexInfoOfType(type, ts.IndexKind.String);
      if (index && type.getProperties().length === 0) {
        return { prop: { type: "object", additionalProperties: property(index.type, node).prop }, optional };
      }
      return { prop: { $ref: `#/types/etcd:index:${objectType(type, node)}` }, optional };
    }
    return fail(node, `a type the schema cannot express: ${checker.typeToString(type)}`);
  }

  /** Properties of an object type: the schema's properties and required list. */
  function members(type, node, partial = false) {
    const properties = {};
    const required = [];
    for (const symbol of checker.getPropertiesOfType(type)) {
      const decl = symbol.valueDeclaration ?? symbol.declarations?.[0] ?? node;
      const p = property(checker.getTypeOfSymbolAtLocation(symbol, decl), decl);
      if (p.skip) continue;
      const prop = { ...p.prop };
      const description = docOf(symbol);
      if (description) prop.description = description;
      if (isSecret(symbol)) prop.secret = true;
      properties[symbol.name] = prop;
      // `@required`: optional in TypeScript only because of a TypeScript-only alternative (a resource object).
      const optional = partial || p.optional || (symbol.flags & ts.SymbolFlags.Optional) !== 0;
      if (!optional || symbol.getJsDocTags(checker).some((t) => t.name === "required")) required.push(symbol.name);
    }
    return { properties, required };
  }

  function objectType(type, node) {
    const n = named(type, node);
    const { properties, required } = members(n.type, node, n.partial);
    const def = { type: "object" };
    const description = n.docSymbol ? docOf(n.docSymbol) : "";
    if (description) def.description = description;
    def.properties = properties;
    if (required.length) def.required = required;
    const token = `etcd:index:${n.name}`;
    if (types[token] && JSON.stringify(types[token]) !== JSON.stringify(def))
      fail(node, `two different types are both named ${n.name}: rename one`);
    types[token] = def;
    return n.name;
  }

  /** Paths of the @secret properties under a (plain) type: ["a", "[]", "b"]. */
  function secretPaths(type, seen = new Set()) {
    const paths = [];
    if (seen.has(type)) return paths;
    seen.add(type);
    for (const symbol of checker.getPropertiesOfType(type)) {
      if (isSecret(symbol)) {
        paths.push([symbol.name]);
        continue;
      }
      let t = checker.getNonNullableType(checker.getTypeOfSymbol(symbol));
      const steps = [symbol.name];
      while (checker.isArrayType(t)) {
        steps.push("[]");
        t = checker.getTypeArguments(t)[0];
      }
      if (t.flags & ts.TypeFlags.Object && !checker.getIndexInfoOfType(t, ts.IndexKind.String))
        for (const p of secretPaths(t, new Set(seen))) paths.push([...steps, ...p]);
    }
    return paths;
  }

  const resources = {};
  const specs = {};
  const sources = prog.getSourceFiles().filter((f) => !f.isDeclarationFile && f.fileName.startsWith(repo + "/"));

  // Custom resources: customResource<Inputs, Outputs>("token") in components/.
  for (const sf of sources.filter((f) => f.fileName.startsWith(path.join(repo, "components") + "/"))) {
    const visit = (node) => {
      if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === "customResource") {
        const [tokenArg] = node.arguments;
        if (!tokenArg || !ts.isStringLiteral(tokenArg) || node.typeArguments?.length !== 2)
          fail(node, 'write customResource<Inputs, Outputs>("pkg:module:Type")');
        const token = tokenArg.text;
        const [inputs, outputs] = node.typeArguments.map((t) => checker.getTypeFromTypeNode(t));
        const decl = node.parent;
        const symbol = ts.isVariableDeclaration(decl) ? checker.getSymbolAtLocation(decl.name) : undefined;
        const ins = members(inputs, node);
        const outs = members(outputs, node);
        resources[token] = {
          description: symbol ? docOf(symbol) : "",
          inputProperties: ins.properties,
          requiredInputs: ins.required,
          properties: outs.properties,
          required: outs.required,
        };
        const topSecrets = (t) =>
          checker
            .getPropertiesOfType(t)
            .filter(isSecret)
            .map((s) => s.name);
        specs[token] = {
          outputs: checker.getPropertiesOfType(outputs).map((s) => s.name),
          secretInputs: secretPaths(inputs),
          secretOutputs: [...topSecrets(inputs), ...topSecrets(outputs)],
        };
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }

  // Components: the classes provider/construct.ts serves.
  const construct = prog.getSourceFile(path.join(repo, "provider", "construct.ts"));
  let registry;
  const find = (node) => {
    if (ts.isVariableDeclaration(node) && node.name.getText() === "components") registry = node.initializer;
    ts.forEachChild(node, find);
  };
  find(construct);
  if (!registry || !ts.isObjectLiteralExpression(registry)) fail(construct, "no `const components = { token: Class, ... }`");
  for (const entry of registry.properties) {
    if (!ts.isPropertyAssignment(entry) || !ts.isStringLiteral(entry.name)) fail(entry, "write each component as `token: Class`");
    const token = entry.name.text;
    let expr = entry.initializer;
    while (ts.isAsExpression(expr) || ts.isParenthesizedExpression(expr)) expr = expr.expression;
    let symbol = checker.getSymbolAtLocation(expr);
    if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
    const cls = symbol?.valueDeclaration;
    if (!cls || !ts.isClassDeclaration(cls)) fail(entry, `${token}: not a class`);
    const ctor = cls.members.find(ts.isConstructorDeclaration);
    const superCall = ctor?.body?.statements
      .map((s) => (ts.isExpressionStatement(s) ? s.expression : undefined))
      .find((e) => e && ts.isCallExpression(e) && e.expression.kind === ts.SyntaxKind.SuperKeyword);
    const declared = superCall?.arguments[0];
    if (!declared || !ts.isStringLiteral(declared) || declared.text !== token)
      fail(cls, `${cls.name?.text} registers itself as ${declared?.getText()}, but provider/construct.ts serves it as ${token}`);
    const args = ctor.parameters.find((p) => p.name.getText() === "args");
    if (!args?.type) fail(ctor, "the constructor needs a typed `args` parameter");
    const ins = members(checker.getTypeFromTypeNode(args.type), args);
    const properties = {};
    const required = [];
    for (const m of cls.members) {
      if (!ts.isPropertyDeclaration(m) || !m.type) continue;
      const mods = ts.getCombinedModifierFlags(m);
      if (mods & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected | ts.ModifierFlags.Static)) continue;
      if (ts.isPrivateIdentifier(m.name)) continue;
      const type = checker.getTypeFromTypeNode(m.type);
      const isOutputs =
        outputInner(type) !== undefined ||
        (type.getProperties().length > 0 &&
          !type.isClass() &&
          type.getProperties().every((p) => outputInner(checker.getNonNullableType(checker.getTypeOfSymbol(p))) !== undefined));
      if (!isOutputs) continue; // TypeScript-only (a plain value, a resource, a function)
      const msym = checker.getSymbolAtLocation(m.name);
      const p = property(type, m);
      const prop = { ...p.prop };
      const description = docOf(msym);
      if (description) prop.description = description;
      if (isSecret(msym)) prop.secret = true;
      properties[m.name.getText()] = prop;
      if (!m.questionToken) required.push(m.name.getText());
    }
    resources[token] = {
      isComponent: true,
      description: docOf(checker.getSymbolAtLocation(cls.name)),
      inputProperties: ins.properties,
      requiredInputs: ins.required,
      properties,
      required,
    };
  }

  const sortKeys = (o) =>
    Object.fromEntries(
      Object.keys(o)
        .sort()
        .map((k) => [k, o[k]]),
    );
  const pkg = JSON.parse(readFileSync(path.join(repo, "package.json"), "utf8"));
  const schema = {
    name: "etcd",
    displayName: "etcd on your hosts",
    description: "Secure etcd clusters and Kubernetes control planes on existing Linux hosts over SSH.",
    version: pkg.version,
    license: pkg.license,
    language: { nodejs: { packageName: pkg.name } },
    config: {},
    types: sortKeys(types),
    resources: sortKeys(resources),
  };
  return { schema, specs: sortKeys(specs) };
}

/** The texts of schema.json and resourceSpecs.ts as `npm run gen` writes them. */
export async function generate() {
  const { schema, specs } = analyze();
  const options = (await prettier.resolveConfig(SCHEMA)) ?? {};
  const schemaText = await prettier.format(JSON.stringify(schema), { ...options, parser: "json" });
  const specsText = await prettier.format(
    `// Generated by \`npm run gen\` (scripts/gen-schema.mjs) from the custom resources' types in
// planning/*/resourceTypes.ts: do not edit. What the client classes need at run time and their types cannot carry.
export interface ResourceSpec {
  /** The output properties (the SDK fills the properties named in the inputs). */
  outputs: string[];
  /** Paths of the secret inputs ("[]": every element of an array); the client class wraps them as secrets. */
  secretInputs: string[][];
  /** Top-level secret properties: kept secret in the state (the handlers return their inputs with their outputs). */
  secretOutputs: string[];
}

export const resourceSpecs: Record<string, ResourceSpec> = ${JSON.stringify(specs)};
`,
    { ...options, parser: "typescript" },
  );
  return { schemaText, specsText };
}

/** Schema properties (inputs and outputs, of resources and types) without a description. */
export function undescribed(schema) {
  const missing = [];
  const check = (owner, props) => {
    for (const [k, v] of Object.entries(props ?? {})) if (!v.description) missing.push(`${owner}.${k}`);
  };
  for (const [token, r] of Object.entries(schema.resources)) {
    check(`${token} input`, r.inputProperties);
    check(`${token} output`, r.properties);
  }
  for (const [token, t] of Object.entries(schema.types)) check(token, t.properties);
  return missing;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { schemaText, specsText } = await generate();
  const check = process.argv.includes("--check");
  let stale = 0;
  for (const [file, text] of [
    [SCHEMA, schemaText],
    [SPECS, specsText],
  ]) {
    const current = readFileSync(file, "utf8");
    if (current === text) continue;
    stale++;
    if (check) console.error(`${path.relative(repo, file)} is not what \`npm run gen\` writes`);
    else writeFileSync(file, text);
  }
  const missing = undescribed(JSON.parse(schemaText));
  if (missing.length) console.error(`properties without a description (add TSDoc):\n  ${missing.join("\n  ")}`);
  process.exit((check && stale) || missing.length ? 1 : 0);
}
