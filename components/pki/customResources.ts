// Client-side class of the provider's Certificate resource (provider/pki/certificateHandler.ts).
import { CertificateInputs, CertificateOutputs, RandomSecretInputs, RandomSecretOutputs } from "../../planning/pki/resourceTypes";
import { customResource, InputObject } from "../common/customResource";

export type CertificateArgs = InputObject<CertificateInputs>;

/** A private key and an X.509 certificate, self-signed (a CA) or signed by a CA. Any input change replaces it. */
export const Certificate = customResource<CertificateInputs, CertificateOutputs>("etcd:tls:Certificate");
export type Certificate = InstanceType<typeof Certificate>;

/** A random value kept only in the state, as a secret: an encryption key or a bootstrap token. Any input change replaces it. */
export const RandomSecret = customResource<RandomSecretInputs, RandomSecretOutputs>("etcd:tls:RandomSecret");
export type RandomSecret = InstanceType<typeof RandomSecret>;
