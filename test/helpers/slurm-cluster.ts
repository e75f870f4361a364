/**
 * A real one-node Slurm on localhost for the e2e test: Debian's slurm-wlm and munge, installed
 * when absent (root + apt), configured in a temporary folder (no cgroups, no accounting), and
 * stopped afterwards by the pids the daemons wrote, so no process outlives the test.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const has = (bin: string) => fs.existsSync(bin);
const DAEMONS = ['/usr/sbin/munged', '/usr/sbin/slurmctld', '/usr/sbin/slurmd', '/usr/bin/sbatch', '/usr/bin/squeue'];

/** Installs slurm-wlm + munge when missing; returns why it cannot, or null when ready. */
export function ensureSlurm(): string | null {
  if (DAEMONS.every(has)) return null;
  if (process.platform !== 'linux') return 'Slurm needs Linux';
  if (process.getuid?.() !== 0) return 'slurm-wlm is not installed and installing it needs root';
  if (!has('/usr/bin/apt-get')) return 'slurm-wlm is not installed and there is no apt-get to install it';
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    // a fresh machine may have no package lists yet: update once and retry
    try {
      execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'slurm-wlm', 'munge'], { env, stdio: 'pipe', timeout: 600_000 });
    } catch {
      execFileSync('apt-get', ['update'], { stdio: 'pipe', timeout: 300_000 });
      execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'slurm-wlm', 'munge'], { env, stdio: 'pipe', timeout: 600_000 });
    }
  } catch (e) {
    return `apt-get install slurm-wlm munge failed: ${String((e as { stderr?: Buffer }).stderr ?? e).slice(-300)}`;
  }
  return DAEMONS.every(has) ? null : 'slurm-wlm installed but its daemons are missing';
}

export interface SlurmCluster {
  dir: string;
  /** Environment for sbatch / squeue (SLURM_CONF pointing at our config). */
  env: NodeJS.ProcessEnv;
  /** Runs a Slurm client command and returns its stdout. */
  client(cmd: string, args: string[]): string;
  stop(): void;
}

const readPid = (f: string): number | null => {
  try {
    const n = Number(fs.readFileSync(f, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
};

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Starts munged, slurmctld and slurmd in `dir` on ports of their own, and waits for the node to be idle. */
export function startSlurm(dir: string): SlurmCluster {
  const d = (...p: string[]) => path.join(dir, ...p);
  for (const sub of ['state', 'spool', 'log', 'munge']) fs.mkdirSync(d(sub), { recursive: true, mode: 0o700 });
  // munged refuses a key readable by others; a fresh key per cluster keeps /etc untouched.
  fs.writeFileSync(d('munge', 'munge.key'), Buffer.from(Array.from({ length: 1024 }, () => Math.floor(Math.random() * 256))), {
    mode: 0o400,
  });
  const socket = d('munge', 'munge.socket');
  // Ports away from the defaults, so a real slurmd on this machine is not disturbed.
  const port = 20000 + (process.pid % 20000);
  const conf = [
    'ClusterName=resurface-test',
    'SlurmctldHost=localhost',
    'SlurmUser=root',
    'SlurmdUser=root',
    'AuthType=auth/munge',
    `AuthInfo=socket=${socket}`,
    'ProctrackType=proctrack/linuxproc',
    'TaskPlugin=task/none',
    'SelectType=select/cons_tres',
    'SelectTypeParameters=CR_CPU',
    'SchedulerType=sched/backfill',
    'JobCompType=jobcomp/none',
    'AccountingStorageType=accounting_storage/none',
    'MpiDefault=none',
    'ReturnToService=2',
    `StateSaveLocation=${d('state')}`,
    `SlurmdSpoolDir=${d('spool')}`,
    `SlurmctldPidFile=${d('slurmctld.pid')}`,
    `SlurmdPidFile=${d('slurmd.pid')}`,
    `SlurmctldLogFile=${d('log', 'slurmctld.log')}`,
    `SlurmdLogFile=${d('log', 'slurmd.log')}`,
    `SlurmctldPort=${port}`,
    `SlurmdPort=${port + 1}`,
    `NodeName=localhost NodeHostname=${os.hostname()} NodeAddr=127.0.0.1 CPUs=${os.cpus().length} RealMemory=1024 State=UNKNOWN`,
    'PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP',
    '',
  ].join('\n');
  fs.writeFileSync(d('slurm.conf'), conf);
  const env = { ...process.env, SLURM_CONF: d('slurm.conf') };
  const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { env, stdio: 'pipe', timeout: 30_000 }).toString();
  const cluster: SlurmCluster = {
    dir,
    env,
    client: run,
    stop() {
      for (const f of [d('slurmd.pid'), d('slurmctld.pid'), d('munge', 'munged.pid')]) {
        const pid = readPid(f);
        if (pid && alive(pid)) process.kill(pid, 'SIGTERM');
      }
      const until = Date.now() + 10_000;
      for (const f of [d('slurmd.pid'), d('slurmctld.pid'), d('munge', 'munged.pid')]) {
        const pid = readPid(f);
        while (pid && alive(pid) && Date.now() < until) execFileSync('sleep', ['0.1']);
        if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
      }
    },
  };
  try {
    run('/usr/sbin/munged', [
      `--socket=${socket}`,
      `--key-file=${d('munge', 'munge.key')}`,
      `--pid-file=${d('munge', 'munged.pid')}`,
      `--log-file=${d('munge', 'munged.log')}`,
      `--seed-file=${d('munge', 'seed')}`,
      '--force',
    ]);
    run('/usr/sbin/slurmctld', ['-i']);
    run('/usr/sbin/slurmd', ['-N', 'localhost']);
    const until = Date.now() + 30_000;
    for (;;) {
      let state = '';
      try {
        state = run('/usr/bin/sinfo', ['-h', '-N', '-o', '%t']).trim();
      } catch {
        /* slurmctld still starting */
      }
      if (/^idle/.test(state)) break;
      if (Date.now() > until)
        throw new Error(
          `slurm node not idle after 30 s (state '${state}'); slurmctld log:\n${fs.readFileSync(d('log', 'slurmctld.log'), 'utf8').slice(-2000)}`,
        );
      execFileSync('sleep', ['0.3']);
    }
  } catch (e) {
    cluster.stop();
    throw e;
  }
  return cluster;
}
