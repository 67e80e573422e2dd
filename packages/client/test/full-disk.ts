import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

/**
 * A real full disk for a test file: a 4 MiB tmpfs mounted before its tests and removed after,
 * which needs root (as in CI and this project's containers). Without it the file says so and its
 * full-disk cases skip rather than fake one. Returns a getter: the mount point, or undefined.
 */
export function tmpfsForFile(name: string): () => string | undefined {
  let mountPoint: string | undefined;
  beforeAll(() => {
    const dir = mkdtempSync(join(tmpdir(), `aviso-${name}-`));
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0700', 'tmpfs', dir], { encoding: 'utf8' });
    if (r.status === 0) mountPoint = dir;
    else {
      rmSync(dir, { recursive: true, force: true });
      console.warn(`${name}.test: cannot mount a tmpfs here (${r.stderr.trim() || r.error?.message}); its full-disk cases are skipped`);
    }
  });
  afterAll(() => {
    if (!mountPoint) return;
    spawnSync('umount', [mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  });
  return () => mountPoint;
}

/** Writes zeros to `path` until the file system is full, then frees `leave` bytes. */
export function fillDisk(path: string, leave = 0): void {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(4096);
  let size = 0;
  try {
    for (;;) size += writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  if (leave > 0) spawnSync('truncate', ['-s', String(Math.max(0, size - leave)), path]);
}
