import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { RelayProcess } from '../support/relay.js';

/**
 * A way to take the relay's storage away under it and give it back. Which ones a machine offers
 * depends on privileges: mounting needs root (CI runs as root); the file size limit works for anyone.
 */
export interface StorageFault {
  readonly name: string;
  /** The relay's data folder, on whatever file system the fault needs. */
  readonly dataDir: string;
  /** From now on writes fail (may restart the relay, on the same port and folder). */
  break(relay: RelayProcess): Promise<void>;
  /** Writes work again (may restart the relay). */
  repair(relay: RelayProcess): Promise<void>;
  dispose(): void;
}

const sh = (cmd: string, ...args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

function canRun(fn: () => void): boolean {
  try {
    fn();
    return true;
  } catch {
    return false;
  }
}

/** Whether this process may mount a tmpfs (root, or a user namespace that allows it). */
export function canMountTmpfs(): boolean {
  const dir = mkdtempSync(join(tmpdir(), 'aviso-mount-probe-'));
  try {
    return canRun(() => {
      sh('mount', '-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir);
      sh('umount', dir);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether an ext4 image can be mounted through a loop device (root, loop devices, ext4 tools). */
export function canMountExt4(): boolean {
  const dir = mkdtempSync(join(tmpdir(), 'aviso-ext4-probe-'));
  try {
    return canRun(() => {
      const fault = ext4ReadOnly(dir);
      fault.dispose();
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Pushes the relay database's WAL into the main file and truncates it, so the next write must grow a file. */
function checkpoint(dataDir: string): void {
  const db = new Database(join(dataDir, 'aviso.sqlite'));
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
}

/** Disk full: the data folder lives on a small tmpfs, filled to the last byte by a filler file. */
export function tmpfsFull(): StorageFault {
  const mountPoint = mkdtempSync(join(tmpdir(), 'aviso-tmpfs-'));
  sh('mount', '-t', 'tmpfs', '-o', 'size=64m,mode=0700', 'tmpfs', mountPoint);
  const dataDir = join(mountPoint, 'relay');
  mkdirSync(dataDir, { mode: 0o700 });
  const filler = join(mountPoint, 'filler');
  return {
    name: 'disk full (tmpfs filled to the last byte)',
    dataDir,
    async break() {
      checkpoint(dataDir);
      const fd = openSync(filler, 'w');
      try {
        for (const size of [1 << 20, 4096, 512, 1]) {
          const chunk = Buffer.alloc(size, 0x5a);
          for (;;) {
            try {
              writeSync(fd, chunk);
            } catch (err) {
              if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
              throw err;
            }
          }
        }
      } finally {
        closeSync(fd);
      }
    },
    async repair() {
      unlinkSync(filler);
    },
    dispose() {
      sh('umount', '-l', mountPoint);
      rmSync(mountPoint, { recursive: true, force: true });
    },
  };
}

/**
 * Disk full without privileges: the relay restarts under a 64 KiB file size limit (RLIMIT_FSIZE),
 * so a write past that offset fails with EFBIG, as on a full disk (SIGXFSZ ignored, as Node does).
 * 64 KiB leaves room for SQLite's 32 KiB shared-memory file; the WAL was truncated on the clean
 * stop, so after a few pages nothing more fits, and the main file (larger) takes no checkpoint.
 */
export function fileSizeLimit(): StorageFault {
  const dataDir = mkdtempSync(join(tmpdir(), 'aviso-fsize-'));
  return {
    name: 'disk full (file size limit, EFBIG)',
    dataDir,
    async break(relay) {
      await relay.stop();
      relay.launcher = ['bash', '-c', 'trap "" XFSZ; ulimit -f 64; exec "$@"', 'bash'];
      await relay.start();
    },
    async repair(relay) {
      // The clean shutdown may fail to checkpoint under the limit; the WAL keeps everything for the next start.
      await relay.stop();
      relay.launcher = undefined;
      await relay.start();
    },
    dispose() {
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** An ext4 file system in a loop-mounted image, mounted errors=remount-ro. */
export interface Ext4Disk {
  readonly mountPoint: string;
  /** Simulates a disk error: the kernel turns the file system read-only under open files; unsynced data is lost. */
  fail(): void;
  /** What an operator does next: unmount, fsck, mount again. Nothing may hold files open on it. */
  recover(): void;
  dispose(): void;
}

export function ext4Disk(base = mkdtempSync(join(tmpdir(), 'aviso-ext4-'))): Ext4Disk {
  const image = join(base, 'disk.img');
  const mountPoint = join(base, 'mnt');
  mkdirSync(mountPoint);
  sh('truncate', '-s', '64M', image);
  sh('mkfs.ext4', '-q', '-F', image);
  const mount = (): string => {
    sh('mount', '-o', 'loop,errors=remount-ro', image, mountPoint);
    const device = sh('findmnt', '-n', '-o', 'SOURCE', mountPoint).trim().replace(/^\/dev\//, '');
    return `/sys/fs/ext4/${device}/trigger_fs_error`;
  };
  let trigger = mount();
  if (!existsSync(trigger)) {
    sh('umount', '-l', mountPoint);
    rmSync(base, { recursive: true, force: true });
    throw new Error('this kernel has no ext4 trigger_fs_error');
  }
  return {
    mountPoint,
    fail() {
      writeFileSync(trigger, 'aviso crash test\n');
      const options = sh('findmnt', '-n', '-o', 'OPTIONS', mountPoint).trim();
      if (!/(^|,)(ro|emergency_ro)(,|$)/.test(options)) throw new Error(`the file system did not go read-only: ${options}`);
    },
    recover() {
      sh('umount', mountPoint);
      try {
        sh('e2fsck', '-f', '-y', image);
      } catch (err) {
        // Exit status 1 means "errors corrected", which is what we want after a triggered error.
        if ((err as { status?: number }).status !== 1) throw err;
      }
      trigger = mount();
    },
    dispose() {
      sh('umount', '-l', mountPoint);
      rmSync(base, { recursive: true, force: true });
    },
  };
}

/**
 * Read-only while running, the way it happens in production: an ext4 file system mounted with
 * errors=remount-ro hits an error (ext4's trigger_fs_error knob) and the kernel turns it read-only
 * under the relay's open files (`ro`, or `emergency_ro` on newer kernels). Reads keep working; writes
 * fail with EROFS. Such a file system cannot be remounted rw, so `repair` does what an operator does:
 * stop the relay, unmount, fsck, mount, start.
 */
export function ext4ReadOnly(base?: string): StorageFault {
  const disk = ext4Disk(base);
  const dataDir = join(disk.mountPoint, 'relay');
  mkdirSync(dataDir, { mode: 0o700 });
  return {
    name: 'read-only (ext4 turned read-only by the kernel after an error)',
    dataDir,
    async break() {
      disk.fail();
    },
    async repair(relay) {
      await relay.stop();
      disk.recover();
      await relay.start();
    },
    dispose() {
      disk.dispose();
    },
  };
}
