// One S3 location type, its validation and its one serialisation for the hosts (PE_S3_* lines of a
// settings file that reaches a host on stdin only: it may hold keys). Snapshots (a prefix) and
// restores (an object key) both use it.
import { shellQuote } from "./shell";

/** An S3-compatible bucket. Without keys, each host uses its instance role (EC2 metadata, IMDSv2). */
export interface S3Bucket<Secret = string> {
  /** The endpoint URL, e.g. https://s3.eu-west-1.amazonaws.com or an S3-compatible server. */
  endpoint: string;
  /** The bucket's region; default us-east-1. */
  region?: string;
  /** The bucket's name. */
  bucket: string;
  /** Access key ID; give both keys, or neither for the instance role. */
  accessKeyId?: Secret;
  /**
   * Secret access key.
   * @secret
   */
  secretAccessKey?: Secret;
  /** Metadata service for the instance role; default http://169.254.169.254 (IPv6-only: http://[fd00:ec2::254]). */
  instanceMetadataEndpoint?: string;
}

const ENDPOINT = /^https?:\/\/[^\s/]+(\/\S*)?$/;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** What is wrong with a bucket's settings; `at` names it in messages (e.g. "s3", "restore.source.s3"). */
export function s3Problems(s3: Partial<S3Bucket<unknown>>, at: string): string[] {
  const p: string[] = [];
  if (!ENDPOINT.test(s3.endpoint ?? "")) p.push(`${at}.endpoint must be an http(s) URL`);
  if (!BUCKET.test(s3.bucket ?? "")) p.push(`${at}.bucket ${JSON.stringify(s3.bucket)} is not a valid bucket name`);
  if ((s3.accessKeyId === undefined) !== (s3.secretAccessKey === undefined))
    p.push(`${at}: give both accessKeyId and secretAccessKey, or neither (the instance role)`);
  if (s3.instanceMetadataEndpoint !== undefined && !/^http:\/\/[^\s/]+$/.test(s3.instanceMetadataEndpoint))
    p.push(`${at}.instanceMetadataEndpoint must be http://host[:port]`);
  return p;
}

/** The PE_S3_* parameters of hosts/common/lib/s3.sh (empty keys: the instance role). */
export function s3Parameters(s3: S3Bucket | undefined, object: { prefix?: string; key?: string } = {}): Record<string, string> {
  return {
    PE_S3_ENDPOINT: s3?.endpoint ?? "",
    PE_S3_REGION: s3?.region ?? "us-east-1",
    PE_S3_BUCKET: s3?.bucket ?? "",
    ...(object.prefix !== undefined ? { PE_S3_PREFIX: object.prefix } : {}),
    ...(object.key !== undefined ? { PE_S3_KEY: object.key } : {}),
    PE_S3_ACCESS_KEY: s3?.accessKeyId ?? "",
    PE_S3_SECRET_KEY: s3?.secretAccessKey ?? "",
    PE_IMDS_ENDPOINT: s3?.instanceMetadataEndpoint ?? "",
  };
}

/** A settings file: one `KEY='value'` line each, values quoted as shell data. */
export function settingsFile(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k}=${shellQuote(v)}\n`)
    .join("");
}
