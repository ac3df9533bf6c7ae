// The package's Pulumi provider: component construction for other languages, and the CRUD of the
// custom resources. Each custom resource's logic is in provider/<domain>/*Handler.ts; this file only routes.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import type * as provider from "@pulumi/pulumi/provider";
import { construct, schemaText } from "./construct";
import { packageRoot } from "./common/hostScripts";
import { progressFor } from "./common/engineLog";
import { bootstrapResource } from "./etcd/bootstrapHandler";
import { certificate } from "./pki/certificateHandler";
import { randomSecret } from "./pki/randomSecretHandler";
import { Context, ResourceHandler } from "./common/handler";
import { healthGateResource } from "./etcd/healthGateHandler";
import { hostScriptResource } from "./common/hostScriptHandler";
import { maintenanceResource } from "./etcd/maintenanceHandler";
import { memberResource } from "./etcd/memberHandler";
import { restoreResource } from "./etcd/restoreHandler";
import { rolloutResource } from "./etcd/rolloutHandler";
import { dataSwitchResource } from "./kube/dataSwitchHandler";
import { kubeRolloutResource } from "./kube/rolloutHandler";

const handlers: Record<string, ResourceHandler> = {
  "etcd:tls:Certificate": certificate,
  "etcd:tls:RandomSecret": randomSecret,
  "etcd:host:HostScript": hostScriptResource,
  "etcd:cluster:Bootstrap": bootstrapResource,
  "etcd:cluster:HealthGate": healthGateResource,
  "etcd:cluster:Maintenance": maintenanceResource,
  "etcd:cluster:Member": memberResource,
  "etcd:cluster:Restore": restoreResource,
  "etcd:cluster:Rollout": rolloutResource,
  "etcd:kube:DataSwitch": dataSwitchResource,
  "etcd:kube:Rollout": kubeRolloutResource,
};

/** urn:pulumi:stack::project::parent$type::name → type */
export function typeOf(urn: string): string {
  const qualified = urn.split("::")[2] ?? "";
  return qualified.split("$").pop() ?? "";
}

function handlerFor(urn: string): ResourceHandler {
  const h = handlers[typeOf(urn)];
  if (!h) throw new Error(`unknown resource type ${typeOf(urn)}`);
  return h;
}

function context(urn: string): Context {
  return { urn, ...progressFor(urn) };
}

const root = packageRoot();
const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { version: string };

export const etcdProvider: provider.Provider = {
  version: pkg.version,
  schema: schemaText,
  check: (urn, olds, news) => handlerFor(urn).check(news, olds, context(urn)),
  diff: (_id, urn, olds, news) => handlerFor(urn).diff(olds, news, context(urn)),
  create: (urn, inputs) => handlerFor(urn).create(context(urn), inputs),
  update: (id, urn, olds, news) => handlerFor(urn).update(context(urn), id, olds, news),
  delete: (id, urn, props) => handlerFor(urn).delete(context(urn), id, props),
  read: async (id, urn, props) => {
    const h = handlerFor(urn);
    return h.read ? h.read(context(urn), id, props ?? {}) : { id, props };
  },
  construct,
};
