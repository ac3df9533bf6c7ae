#!/usr/bin/env bash
# common/lib/s3.sh: S3 requests with curl's SigV4. Credentials: the given keys or, when none are
# given, the instance role from the EC2 metadata service (IMDSv2). They reach curl through a 0600
# config file, never a command line. s3_init DIR first, then s3 CURL-ARGS...
# Parameters (environment, or a settings file the including script sourced):
#   PE_S3_REGION      the region for SigV4 (default us-east-1)
#   PE_S3_ACCESS_KEY  the access key (none: the instance role's, from IMDSv2)
#   PE_S3_SECRET_KEY  the secret key
#   PE_IMDS_ENDPOINT  the instance metadata service (default http://169.254.169.254)
#   PE_S3_MAX_TIME    the longest a transfer may take, in seconds (default 3600)

json_string() { grep -o "\"$1\" *: *\"[^\"]*\"" | head -n1 | sed 's/.*: *"\(.*\)"/\1/'; }

s3_init() {
  local dir=$1 imds=${PE_IMDS_ENDPOINT:-http://169.254.169.254} token role creds session=""
  : "${PE_S3_REGION:=us-east-1}"
  if [[ -z ${PE_S3_ACCESS_KEY:-} ]]; then
    token=$(curl -fsS --connect-timeout 3 --max-time 10 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' "$imds/latest/api/token") ||
      die "no S3 keys were given and the instance metadata service ($imds) gave no token: give keys or attach an instance role"
    role=$(curl -fsS --max-time 10 -H "X-aws-ec2-metadata-token: $token" "$imds/latest/meta-data/iam/security-credentials/" | head -n1)
    [[ $role =~ ^[A-Za-z0-9+=,.@_-]+$ ]] || die "the instance has no IAM role (instance metadata lists none)"
    creds=$(curl -fsS --max-time 10 -H "X-aws-ec2-metadata-token: $token" "$imds/latest/meta-data/iam/security-credentials/$role") ||
      die "could not read the credentials of instance role $role"
    PE_S3_ACCESS_KEY=$(json_string AccessKeyId <<<"$creds")
    PE_S3_SECRET_KEY=$(json_string SecretAccessKey <<<"$creds")
    session=$(json_string Token <<<"$creds")
    [[ -n $PE_S3_ACCESS_KEY && -n $PE_S3_SECRET_KEY ]] || die "the credentials of instance role $role are incomplete"
    log "using the credentials of instance role $role"
  fi
  s3_conf="$dir/curl.conf"
  (
    umask 077
    printf 'user = "%s:%s"\n' "$PE_S3_ACCESS_KEY" "$PE_S3_SECRET_KEY"
    if [[ -n $session ]]; then printf 'header = "x-amz-security-token: %s"\n' "$session"; fi
  ) >"$s3_conf"
}

s3() {
  curl -fsS --connect-timeout 10 --max-time "${PE_S3_MAX_TIME:-3600}" -K "$s3_conf" --aws-sigv4 "aws:amz:$PE_S3_REGION:s3" \
    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' "$@"
}
