/**
 * Which SchemaVer may be published next to the existing versions of a vendor/name (iglu-server
 * `VersionCursor`, spec 4.2): 1-0-0 always; m-0-0 needs some (m-1)-*-*; m-r-0 needs some m-(r-1)-*;
 * m-r-a needs m-r-(a-1) and no m-(r+1)-* (additions go to the newest revision only).
 */
import { formatSchemaVer, type SchemaVer } from '../../core/schema-key';

export type Inconsistency =
  | { kind: 'AlreadyExists' }
  | { kind: 'PreviousMissing' }
  | { kind: 'NextRevisionExists' }
  | { kind: 'Availability'; isPublic: boolean; previousPublic: boolean };

export function inconsistencyMessage(i: Inconsistency, version?: SchemaVer): string {
  switch (i.kind) {
    case 'AlreadyExists':
      return 'Schema already exists';
    case 'PreviousMissing':
      return 'Preceding SchemaVer in the group is missing, check that schemas published in proper order';
    case 'NextRevisionExists':
      return `The schema version is not sequential: a later revision of this model already exists${version ? `, so ${formatSchemaVer(version)} cannot be added` : ''}`;
    case 'Availability':
      return `Inconsistent schema availability. Cannot add ${i.isPublic ? 'public' : 'private'} schema, previous versions are ${i.previousPublic ? 'public' : 'private'}`;
  }
}

export function checkVersion(version: SchemaVer, existing: SchemaVer[], patchesAllowed: boolean): Inconsistency | null {
  const { model: m, revision: r, addition: a } = version;
  const exists = existing.some((v) => v.model === m && v.revision === r && v.addition === a);
  if (exists) return patchesAllowed ? null : { kind: 'AlreadyExists' };
  if (m === 1 && r === 0 && a === 0) return null;
  if (r === 0 && a === 0) return existing.some((v) => v.model === m - 1) ? null : { kind: 'PreviousMissing' };
  if (a === 0) return existing.some((v) => v.model === m && v.revision === r - 1) ? null : { kind: 'PreviousMissing' };
  if (!existing.some((v) => v.model === m && v.revision === r && v.addition === a - 1)) return { kind: 'PreviousMissing' };
  if (existing.some((v) => v.model === m && v.revision > r)) return { kind: 'NextRevisionExists' };
  return null;
}
