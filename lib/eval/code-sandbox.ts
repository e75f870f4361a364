/**
 * Contained execution of generated programs (HumanEval pass@k), for `--allow-code-execution` only.
 *
 * One `python3` process per program, in a fresh temporary directory (its cwd, removed afterwards), with
 * an empty environment and `-I` (isolated mode: no PYTHON* variables, no user site, no script dir on
 * sys.path). Layers, each detected once and reported by `sandboxCapabilities()`:
 *
 *   - namespaces: `unshare -r -n -p --fork --kill-child` — a new user, network and PID namespace: no
 *     network interface but loopback, and when the program (PID 1 there) exits or is killed, every
 *     process it started dies with it; the wall-clock timeout SIGKILLs the whole process group.
 *   - rlimits, set by a small Python preamble before it execs the program in a fresh interpreter:
 *     address space (RLIMIT_AS), CPU seconds, file size, process count (RLIMIT_NPROC, counted in the
 *     new user namespace), no core files.
 *   - filesystem: Landlock (Linux >= 5.13, unprivileged): read and execute everywhere, write only
 *     inside the temporary directory.
 *   - no child processes: a seccomp filter makes fork, vfork and process-creating clone fail (threads
 *     still work) — the harness's reliability_guard disables os.fork and subprocess for the same
 *     reason; it also binds root, which RLIMIT_NPROC does not (x86-64 and arm64).
 *
 * Where a layer is missing (no unshare, no user namespaces, no Landlock) the program still runs with
 * the others, and the report says which protection is absent.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ResurfaceError } from '../errors';

export interface SandboxOptions {
  /** Wall-clock limit per program (default 3000 ms, the harness's code_eval timeout). */
  timeoutMs?: number;
  /** RLIMIT_AS (default 1 GiB). */
  memoryBytes?: number;
  /** RLIMIT_FSIZE (default 16 MiB). */
  maxFileBytes?: number;
  /** RLIMIT_NPROC within the sandbox's user namespace (default 4). */
  maxProcesses?: number;
  /** Programs run at once (default: CPU count, at most 8). */
  concurrency?: number;
  /** Python interpreter (default: the python3 on PATH, resolved to its real executable). */
  python?: string;
  /** Parent of the per-program temporary directories (default: os.tmpdir()). */
  tmpRoot?: string;
}

export type ExecutionStatus = 'passed' | 'failed' | 'timeout';

export interface ExecutionResult {
  passed: boolean;
  status: ExecutionStatus;
  exitCode: number | null;
  signal: string | null;
  /** Last lines of stderr (the exception), at most 2 KiB. */
  stderr: string;
  ms: number;
}

export interface SandboxCapabilities {
  python: string;
  namespaces: boolean;
  landlock: boolean;
  /** One line per layer, for reports: what is and is not contained. */
  notes: string[];
}

// Runs as: python3 -I -c PREAMBLE <dir> <program> <as> <cpu> <fsize> <nproc> <landlock 0|1>
const PREAMBLE = `
import os, sys, resource, ctypes
d, prog = sys.argv[1], sys.argv[2]
as_b, cpu, fsize, nproc, want_ll = (int(x) for x in sys.argv[3:8])
os.chdir(d)
for lim, v in ((resource.RLIMIT_AS, as_b), (resource.RLIMIT_CPU, cpu), (resource.RLIMIT_FSIZE, fsize),
               (resource.RLIMIT_NPROC, nproc), (resource.RLIMIT_CORE, 0)):
    resource.setrlimit(lim, (v, v))
if want_ll:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    abi = libc.syscall(444, None, 0, 1)
    if abi < 1:
        sys.stderr.write("sandbox: landlock unavailable\\n"); sys.exit(97)
    handled = (1 << 13) - 1
    if abi >= 2: handled |= 1 << 13
    if abi >= 3: handled |= 1 << 14
    read = (1 << 0) | (1 << 2) | (1 << 3)
    attr = ctypes.c_uint64(handled)
    rs = libc.syscall(444, ctypes.byref(attr), ctypes.c_size_t(8), 0)
    if rs < 0:
        sys.stderr.write("sandbox: landlock_create_ruleset failed\\n"); sys.exit(97)
    class Beneath(ctypes.Structure):
        _pack_ = 1
        _fields_ = [("allowed", ctypes.c_uint64), ("fd", ctypes.c_int32)]
    for where, allowed in (("/", read), (d, handled)):
        fd = os.open(where, os.O_PATH | os.O_CLOEXEC)
        rule = Beneath(allowed, fd)
        if libc.syscall(445, rs, 1, ctypes.byref(rule), 0) != 0:
            sys.stderr.write("sandbox: landlock_add_rule failed\\n"); sys.exit(97)
        os.close(fd)
    if libc.prctl(38, 1, 0, 0, 0) != 0 or libc.syscall(446, rs, 0) != 0:
        sys.stderr.write("sandbox: landlock_restrict_self failed\\n"); sys.exit(97)
    os.close(rs)
import platform
arch = {"x86_64": (0xC000003E, 57, 58, 56), "aarch64": (0xC00000B7, 0xFFFFFFFF, 0xFFFFFFFF, 220)}.get(platform.machine())
if arch is not None:
    # seccomp: fork, vfork and clone without CLONE_THREAD fail with EAGAIN (threads still work);
    # clone3 reports ENOSYS so libc falls back to clone. No child process can exist, even for root,
    # whom RLIMIT_NPROC does not bind.
    A, FORK, VFORK, CLONE = arch
    LD, JEQ, JSET, RET = 0x20, 0x15, 0x45, 0x06
    ALLOW, EAGAIN, ENOSYS = 0x7FFF0000, 0x00050000 | 11, 0x00050000 | 38
    prog_ = [(LD, 0, 0, 4), (JEQ, 0, 7, A), (LD, 0, 0, 0), (JEQ, 6, 0, FORK), (JEQ, 5, 0, VFORK), (JEQ, 5, 0, 435),
             (JEQ, 0, 2, CLONE), (LD, 0, 0, 16), (JSET, 0, 1, 0x10000), (RET, 0, 0, ALLOW), (RET, 0, 0, EAGAIN), (RET, 0, 0, ENOSYS)]
    class Insn(ctypes.Structure):
        _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]
    class Prog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_uint16), ("filter", ctypes.POINTER(Insn))]
    insns = (Insn * len(prog_))(*[Insn(*x) for x in prog_])
    fprog = Prog(len(prog_), insns)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(38, 1, 0, 0, 0) != 0 or libc.prctl(22, 2, ctypes.byref(fprog), 0, 0) != 0:
        sys.stderr.write("sandbox: seccomp filter failed\\n"); sys.exit(97)
os.execve(sys.executable, [sys.executable, "-I", prog], {})
`;

let probed: SandboxCapabilities | undefined;

function resolvePython(explicit?: string): string {
  const candidate = explicit ?? 'python3';
  const r = spawnSync(candidate, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8', timeout: 30_000 });
  const exe = r.status === 0 ? r.stdout.trim() : '';
  if (!exe || !fs.existsSync(exe)) {
    throw new ResurfaceError(
      'ERR_CODE_EXECUTION',
      `cannot run ${candidate} to execute generated programs: ${(r.stderr || String(r.error ?? '')).trim() || 'not found'}`,
    );
  }
  return exe;
}

/** Which containment layers this machine supports (probed once per process and interpreter). */
export function sandboxCapabilities(python?: string): SandboxCapabilities {
  if (probed && (python === undefined || probed.python === python)) return probed;
  const exe = python ?? resolvePython();
  const ns = spawnSync('unshare', ['-r', '-n', '-p', '--fork', '--kill-child', '--', exe, '-c', 'pass'], { timeout: 30_000 }).status === 0;
  const ll =
    spawnSync(
      exe,
      [
        '-c',
        'import ctypes,sys; l=ctypes.CDLL(None); l.syscall.restype=ctypes.c_long; sys.exit(0 if l.syscall(444, None, 0, 1) >= 1 else 1)',
      ],
      { timeout: 30_000 },
    ).status === 0;
  const notes = [
    ns
      ? 'network: isolated (new network namespace, loopback only)'
      : 'network: NOT isolated (unshare -rn unavailable: no user namespaces for this user)',
    ns
      ? 'processes: new PID namespace, all killed with the program; RLIMIT_NPROC'
      : 'processes: process-group kill at the timeout and RLIMIT_NPROC only (no PID namespace; RLIMIT_NPROC does not bind root)',
    ll
      ? 'filesystem: writes outside the temporary directory denied (Landlock)'
      : 'filesystem: writes outside the temporary directory NOT prevented (no Landlock in this kernel)',
    ['x64', 'arm64'].includes(process.arch)
      ? 'child processes: none (seccomp: fork/vfork/clone fail)'
      : `child processes: RLIMIT_NPROC only (no seccomp filter for ${process.arch})`,
    'memory, CPU time, file size: rlimits; environment cleared; python -I',
  ];
  const caps = { python: exe, namespaces: ns, landlock: ll, notes };
  // self-test: a sandbox that cannot run a trivial program would score every completion as failing
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'resurface-exec-probe-'));
  try {
    fs.writeFileSync(path.join(dir, 'program.py'), 'import os, sys\nsys.exit(0 if set(os.environ) <= {"LC_CTYPE"} else 3)\n');
    const [cmd, args] = sandboxCommand(caps, dir, defaultLimits(caps, 3000));
    const r = spawnSync(cmd, args, { cwd: dir, env: {}, encoding: 'utf8', timeout: 30_000 });
    if (r.status !== 0) {
      throw new ResurfaceError(
        'ERR_CODE_EXECUTION',
        `the code-execution sandbox failed its self-test (exit ${r.status}): ${(r.stderr || String(r.error ?? '')).trim().slice(-500)}`,
      );
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  probed = caps;
  return probed;
}

interface Limits {
  memoryBytes: number;
  cpuSeconds: number;
  maxFileBytes: number;
  maxProcesses: number;
}

function defaultLimits(_caps: SandboxCapabilities, timeoutMs: number, o: SandboxOptions = {}): Limits {
  return {
    memoryBytes: o.memoryBytes ?? 1 << 30,
    cpuSeconds: Math.ceil(timeoutMs / 1000) + 1,
    maxFileBytes: o.maxFileBytes ?? 16 << 20,
    maxProcesses: o.maxProcesses ?? 4,
  };
}

/** The command line that runs DIR/program.py contained. */
function sandboxCommand(caps: SandboxCapabilities, dir: string, l: Limits): [string, string[]] {
  const limits = [l.memoryBytes, l.cpuSeconds, l.maxFileBytes, l.maxProcesses, caps.landlock ? 1 : 0].map(String);
  const py = [caps.python, '-I', '-c', PREAMBLE, dir, path.join(dir, 'program.py'), ...limits];
  const all = caps.namespaces ? ['unshare', '-r', '-n', '-p', '--fork', '--kill-child', '--', ...py] : py;
  return [all[0]!, all.slice(1)];
}

/** Runs one program; never throws for the program's own failure (that is a failed result). */
export async function runProgram(program: string, options: SandboxOptions = {}): Promise<ExecutionResult> {
  const caps = sandboxCapabilities(options.python ? resolvePython(options.python) : undefined);
  const timeoutMs = options.timeoutMs ?? 3000;
  const dir = fs.mkdtempSync(path.join(options.tmpRoot ?? os.tmpdir(), 'resurface-exec-'));
  const prog = path.join(dir, 'program.py');
  fs.writeFileSync(prog, program);
  const [cmd, args] = sandboxCommand(caps, dir, defaultLimits(caps, timeoutMs, options));
  const t0 = Date.now();
  try {
    return await new Promise<ExecutionResult>((resolve, reject) => {
      const child = spawn(cmd!, args, { cwd: dir, env: {}, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      let timedOut = false;
      child.stderr!.on('data', (b: Buffer) => {
        stderr = (stderr + b.toString('utf8')).slice(-2048);
      });
      const killGroup = () => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          /* already gone */
        }
      };
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup();
      }, timeoutMs);
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(new ResurfaceError('ERR_CODE_EXECUTION', `cannot start ${cmd}: ${e.message}`));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        killGroup(); // anything left in the group (no PID namespace) goes too
        if (code === 97 && stderr.includes('sandbox: ')) {
          reject(new ResurfaceError('ERR_CODE_EXECUTION', `the sandbox could not be set up: ${stderr.trim()}`));
          return;
        }
        const status: ExecutionStatus = timedOut ? 'timeout' : code === 0 ? 'passed' : 'failed';
        resolve({ passed: status === 'passed', status, exitCode: code, signal, stderr: stderr.trim(), ms: Date.now() - t0 });
      });
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs programs with bounded concurrency; results in input order. */
export async function runPrograms(
  programs: readonly string[],
  options: SandboxOptions = {},
  onDone?: (done: number) => void,
): Promise<ExecutionResult[]> {
  const out: ExecutionResult[] = new Array(programs.length);
  const width = Math.max(1, Math.min(options.concurrency ?? Math.min(8, os.cpus().length), programs.length));
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < programs.length) {
      const i = next++;
      out[i] = await runProgram(programs[i]!, options);
      onDone?.(++done);
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return out;
}

/** The program the harness's code_eval runs for a completion: prompt + completion, then the test. */
export function buildProgram(prompt: string, completion: string, test: string): string {
  return `${prompt}${completion}\n${test}`;
}
