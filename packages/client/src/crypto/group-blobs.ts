import { RETENTION_LIMITS } from '@aviso/protocol';
import { z } from 'zod';
import type { GroupKeys } from './group-keys.js';

/**
 * The plaintext of a group's encrypted attributes and profile blobs (docs/groups.md "Blobs"): one
 * place that says which JSON a member writes and how it reads what another member wrote, so the
 * vectors in packages/protocol/vectors/group-blobs.json test exactly what the group log runs.
 */

/** What a group's attributes blob says. */
export interface GroupAttributes {
  title: string;
  description: string;
  announcementsOnly: boolean;
  /**
   * How long members keep the group's content, in seconds (`RETENTION_LIMITS`); undefined when the
   * blob does not say (the default applies). Written only when set, so older members still read the blob.
   */
  retentionSeconds?: number | undefined;
}

/** Unknown fields are ignored (additive changes keep the version); absent optional ones default. */
const Attributes = z.object({
  v: z.literal(1),
  title: z.string(),
  description: z.string().default(''),
  announcementsOnly: z.boolean().default(false),
  retentionSeconds: z.number().int().optional(),
});
const Profile = z.object({ v: z.literal(1), displayName: z.string() });

/** The JSON value this SDK encrypts for `create.attributes` and `setAttributes.attributes`, every field written. */
export function attributesValue(a: GroupAttributes): { v: 1; title: string; description: string; announcementsOnly: boolean; retentionSeconds?: number } {
  return { v: 1, title: a.title, description: a.description, announcementsOnly: a.announcementsOnly, ...(a.retentionSeconds === undefined ? {} : { retentionSeconds: a.retentionSeconds }) };
}

/** A retention another client wrote, held to `RETENTION_LIMITS` (a future writer may allow more). */
export function clampRetention(seconds: number): number {
  return Math.min(RETENTION_LIMITS.maxSeconds, Math.max(RETENTION_LIMITS.minSeconds, seconds));
}

/** The JSON value of a member's profile blob (`create`, `join`, `requestJoin`). */
export function profileValue(displayName: string): { v: 1; displayName: string } {
  return { v: 1, displayName };
}

/**
 * What a member reads from an attributes blob. A blob that does not decrypt, is not padded JSON or
 * does not match the schema reads as an untitled group that is not announcements-only (and keeps
 * the default retention): the relay
 * verified the change, so the log goes on, and an admin can set the attributes again.
 */
export function openAttributes(keys: GroupKeys, blob: string): GroupAttributes {
  const a = Attributes.safeParse(keys.openJson(blob));
  if (!a.success) return { title: '', description: '', announcementsOnly: false };
  const { title, description, announcementsOnly, retentionSeconds } = a.data;
  return { title, description, announcementsOnly, ...(retentionSeconds === undefined ? {} : { retentionSeconds: clampRetention(retentionSeconds) }) };
}

/** The display name in a profile blob; '' when it cannot be read. */
export function openDisplayName(keys: GroupKeys, blob: string): string {
  const p = Profile.safeParse(keys.openJson(blob));
  return p.success ? p.data.displayName : '';
}
