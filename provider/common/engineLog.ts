// Progress messages from CRUD operations, shown under the resource in `pulumi up` output.
import * as grpc from "@grpc/grpc-js";
import * as engrpc from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as engproto from "@pulumi/pulumi/proto/engine_pb";

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
