// Progress messages from CRUD operations, shown under the resource in `pulumi up` output. Every line
// the provider prints has one format, `[<phase>] <subject>: <message>` (as kubeadm prints
// `[etcd] ...`): the phase is a host script's name or a handler's step, the subject the host or
// member (or cluster) it concerns.
import * as grpc from "@grpc/grpc-js";
import * as engrpc from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as engproto from "@pulumi/pulumi/proto/engine_pb";

/** A handler's steps; a host step's phase is its script's name. */
export const PHASES = [
  "bootstrap", // a new cluster's birth facts
  "certs", // certificates issued
  "member-add", // a learner added to the membership (or a stray one removed)
  "member-join", // a joining member started with initial-cluster-state=existing
  "member-promote", // a learner promoted to voter
  "member-remove", // a member removed from the membership
  "leader-move", // leadership moved away from a leaving leader
  "health", // waiting for a healthy cluster
  "restore", // a restore's steps
  "data-switch", // a control plane's data moved to another etcd, restored or brought back
  "destroy", // the whole cluster goes away
  "refresh", // what a refresh found
  "lock", // waiting for (or taking) the cluster lock held by another operation
] as const;
export type HandlerPhase = (typeof PHASES)[number];

/** The one format of a progress line. */
export function phaseLine(phase: string, subject: string, message: string): string {
  return `[${phase}] ${subject}: ${message}`;
}

let client: engrpc.EngineClient | undefined;

/** The provider's first argument is the engine's address. */
export function connectEngine(address: string | undefined): void {
  if (address) client = new engrpc.EngineClient(address, grpc.credentials.createInsecure());
}

export type Severity = "info" | "warning" | "error";

export function engineLog(urn: string, severity: Severity, message: string, ephemeral = false): Promise<void> {
  if (!client) {
    process.stderr.write(`${severity}: ${message}\n`);
    return Promise.resolve();
  }
  const req = new engproto.LogRequest();
  req.setUrn(urn);
  req.setMessage(message);
  req.setEphemeral(ephemeral);
  req.setSeverity(
    severity === "error" ? engproto.LogSeverity.ERROR : severity === "warning" ? engproto.LogSeverity.WARNING : engproto.LogSeverity.INFO,
  );
  return new Promise((resolve) => client!.log(req, () => resolve()));
}

/** Where a handler's progress goes: engine log lines of the one format, under its resource. */
export function progressFor(urn: string, log = engineLog) {
  const line = (severity: Severity) => (phase: HandlerPhase | string, subject: string, message: string) =>
    log(urn, severity, phaseLine(phase, subject, message));
  return { log: line("info"), warn: line("warning") };
}
