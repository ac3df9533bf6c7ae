// Member names. etcd takes the name into `--initial-cluster name=url,...` and into the member list,
// so ',', '=' and whitespace break bootstrapping; we also keep names usable as host names.
export const MEMBER_NAME = /^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$/;

export function memberNameProblem(name: unknown): string | undefined {
  if (typeof name !== "string" || name === "") return "a member name is required";
  if (!MEMBER_NAME.test(name)) {
    return `member name ${JSON.stringify(name)} is not allowed: use 1-63 lowercase letters, digits, '-' or '.', starting and ending with a letter or digit (etcd rejects ',' and '=' in names; names are also used in certificates)`;
  }
  return undefined;
}
