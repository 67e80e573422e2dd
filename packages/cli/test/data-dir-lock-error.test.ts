import { describe, expect, it } from 'vitest';
import { DataDirLockedError } from '@aviso/client';
import { toCliError } from '../src/errors.js';

describe('a profile folder held by another SDK process', () => {
  it('is PROFILE_BUSY, naming the folder', () => {
    expect(toCliError(new DataDirLockedError('/home/ana/aviso/profiles/ana'), { profile: 'ana' })).toMatchObject({
      code: 'PROFILE_BUSY',
      exitCode: 1,
      message: 'profile "ana" is in use by another program (/home/ana/aviso/profiles/ana) — stop it first, or use another --profile',
    });
  });
});
