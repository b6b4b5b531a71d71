/**
 * Iglu Server permissions (iglu-server `model/Permission.scala`): a vendor scope (dot-separated parts,
 * optionally covering every sub-vendor), a schema action READ < BUMP < CREATE < CREATE_VENDOR, and key
 * actions CREATE/DELETE (may mint or revoke API keys).
 */
export type SchemaAction = 'READ' | 'BUMP' | 'CREATE' | 'CREATE_VENDOR';
export type KeyAction = 'CREATE' | 'DELETE';

export const SCHEMA_ACTIONS: readonly SchemaAction[] = ['READ', 'BUMP', 'CREATE', 'CREATE_VENDOR'];

export interface VendorScope {
  /** `com.acme` → ['com','acme']; [] with wildcard = every vendor. */
  parts: string[];
  /** Also covers vendors below `parts` (com.acme.web). */
  wildcard: boolean;
}

export interface Permission {
  vendor: VendorScope;
  schema: SchemaAction | null;
  key: KeyAction[];
}

export const WILDCARD_VENDOR: VendorScope = { parts: [], wildcard: true };

/** Anonymous (no key, or an unknown key): reads public schemas only. */
export const NOOP: Permission = { vendor: { parts: [], wildcard: false }, schema: null, key: [] };
/** The super key from config: everything, including minting keys. */
export const MASTER: Permission = { vendor: WILDCARD_VENDOR, schema: 'CREATE_VENDOR', key: ['CREATE', 'DELETE'] };

/** `*` or blank = every vendor; otherwise the prefix and everything below it. */
export function parseVendorScope(text: string): VendorScope {
  const t = text.trim();
  if (t === '' || t === '*') return WILDCARD_VENDOR;
  return { parts: t.split('.'), wildcard: true };
}

export function vendorScopeString(v: VendorScope): string {
  return v.parts.join('.');
}

/** Does the scope cover `vendor`? Whole dot-separated parts: `com.acme` covers `com.acme.web`, not `com.acmeinc`. */
export function vendorCovers(scope: VendorScope, vendor: string): boolean {
  if (scope.wildcard && scope.parts.length === 0) return true;
  const req = vendor.split('.');
  const same = (n: number) => scope.parts.slice(0, n).every((p, i) => p === req[i]);
  if (req.length === scope.parts.length && same(scope.parts.length)) return true;
  return scope.wildcard && req.length >= scope.parts.length && same(scope.parts.length);
}

export function isMaster(p: Permission): boolean {
  return p === MASTER;
}

/** Read private schemas of `vendor`: any schema action, or any key action, within scope. */
export function canRead(p: Permission, vendor: string): boolean {
  if (p.schema === null && p.key.length === 0) return false;
  return vendorCovers(p.vendor, vendor);
}

/** Publish schemas of `vendor`: a schema action above READ (or key actions), within scope. */
export function canCreateSchema(p: Permission, vendor: string): boolean {
  if ((p.schema === null || p.schema === 'READ') && p.key.length === 0) return false;
  return vendorCovers(p.vendor, vendor);
}

/** BUMP keys may only add versions to an existing vendor/name. */
export function canCreateNewName(p: Permission): boolean {
  return p.schema !== 'BUMP' || p.key.length > 0;
}

export function canCreateKeys(p: Permission, requestedVendor: string): boolean {
  return p.key.includes('CREATE') && vendorCovers(p.vendor, requestedVendor);
}

export function canDeleteKeys(p: Permission): boolean {
  return p.key.includes('DELETE');
}

/** JSON for `GET /api/meta/server`'s authInfo. */
export function permissionJson(p: Permission): { vendor: string; schema: SchemaAction | null; key: KeyAction[] } {
  return { vendor: vendorScopeString(p.vendor), schema: p.schema, key: [...p.key] };
}
