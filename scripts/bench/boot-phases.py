#!/usr/bin/env python3
"""One Linux boot to /init on Machina, split into phases by the serial console: from the JVM's
start to "Linux version" (start-up, firmware, the kernel's decompressor), to "Run /init" (the
kernel's own initialisation) and to /init's MACHINA-INIT-OK (module loading). For each phase it
prints the wall time, the CPU time of the machine thread and of the JIT compilers (from /proc) and
the change of the CPU statistics of QMP x-machina-query-cpu-stats. No reference tool: boot-bench.sh
compares with QEMU; this one says where Machina's own time goes.

Usage: scripts/bench/boot-phases.py
  ACCEL=tcg|interp|tcg,thresh=N   the -accel option (default tcg)
  OPTS=FILE                       the JVM's argument file (default scripts/jvm/machine.options)
  MACHINA_LAUNCHER=JAR            another launcher than the built full distribution's (an A/B pair)
  AOT=FILE                        the JDK's AOT cache to use (scripts/jvm/aot.sh writes one in the
                                  distribution's cds/ folder; default none)
  PERF=FILE                       run the JVM under `perf record` into FILE, with JIT symbols: snapshots
                                  of `jcmd PID Compiler.perfmap` every 2 s are merged into
                                  /tmp/perf-PID.map (code HotSpot replaced keeps its name), and the
                                  phases' CLOCK_MONOTONIC times are printed for `perf report --time`
                                  (JFR hides the translated blocks' hidden-class frames; perf does not)
  GUEST_PROFILE=N                 where the guest ran: the CPU's PC sampler (-Dmachina.x86.samplePc,
                                  every 100 us) during the boot, then /proc/kallsyms read from the
                                  guest's shell; prints each phase's N guest functions with the most
                                  samples (code outside the kernel's symbols by 64 KiB of addresses)
"""
import bisect
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
MARKS = [('start', 'Linux version'), ('kernel', 'Run /init'), ('init', 'MACHINA-INIT-OK')]
KEYS = ['instructions', 'instructions-run-translated', 'blocks-translated', 'translation-ns', 'blocks-run',
        'blocks-from-jump-cache', 'blocks-promoted', 'tlb-fills', 'tlb-flushes', 'tlb-page-flushes', 'exceptions',
        'code-bytes-patched', 'translations-dropped', 'interrupts']


def java_home():
    out = subprocess.run(['bash', '-c', '. "%s/scripts/find-jdk.sh" && echo "$JAVA_HOME"' % ROOT],
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit('boot-phases: ' + out.stderr.strip())
    return out.stdout.strip()


def thread_cpu(pid):
    """Seconds of CPU per thread name (user + system)."""
    cpu = {}
    for t in glob.glob('/proc/%d/task/*' % pid):
        try:
            stat = open(t + '/stat').read()
            name = open(t + '/comm').read().strip()
        except OSError:
            continue
        fields = stat[stat.rindex(')') + 2:].split()
        cpu[name] = cpu.get(name, 0) + (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')
    return cpu


def java_pid(parent):
    """The pid of the JVM perf started (its child)."""
    for _ in range(500):
        try:
            children = open('/proc/%d/task/%d/children' % (parent, parent)).read().split()
        except OSError:
            children = []
        if children:
            return int(children[0])
        time.sleep(0.01)
    sys.exit('boot-phases: perf did not start the JVM')


def write_merged_map(maps, out):
    """Merges perf map snapshots, oldest first, into one map without overlaps: where HotSpot reused
    code space, the newest entry wins and the older ones it overlaps are dropped (perf resolves no
    sample in a range two entries claim, so an unmerged map left most of the JIT's code unnamed)."""
    entries = []  # (start, end, newness, line)
    for n, f in enumerate(maps):
        for line in open(f):
            p = line.split(' ', 2)
            try:
                entries.append((int(p[0], 16), int(p[0], 16) + int(p[1], 16), n, line))
            except (ValueError, IndexError):
                continue
    kept, starts = [], []  # sorted by start, none overlapping
    for start, end, _, line in sorted(entries, key=lambda e: -e[2]):
        i = bisect.bisect_right(starts, start)
        if (i > 0 and kept[i - 1][1] > start) or (i < len(kept) and kept[i][0] < end):
            continue
        kept.insert(i, (start, end, line))
        starts.insert(i, start)
    with open(out, 'w') as w:
        w.writelines(line for _, _, line in kept)


def cpu_stats(qmp):
    s = socket.socket(socket.AF_UNIX)
    s.connect(qmp)
    f = s.makefile('rw')
    f.readline()
    f.write('{"execute":"qmp_capabilities"}\n')
    f.flush()
    f.readline()
    f.write('{"execute":"x-machina-query-cpu-stats"}\n')
    f.flush()
    while True:
        reply = json.loads(f.readline())
        if 'return' in reply:
            s.close()
            return reply['return']['cpu']


def read_kallsyms(proc):
    """The guest's text symbols, [(address, name)] sorted: asks the shell /init leaves on the console
    for /proc/kallsyms. Ends the run when the shell does not answer within two minutes."""
    timer = threading.Timer(120, proc.kill)
    timer.start()
    # the echoed command line holds the expression, the shell's output its value: the end is unambiguous
    proc.stdin.write(b'cat /proc/kallsyms; echo KALLSYMS-END-$((6*7))\n')
    proc.stdin.flush()
    syms = []
    try:
        for line in proc.stdout:
            line = line.decode(errors='replace').strip()
            if line == 'KALLSYMS-END-42':
                break
            p = line.split()
            if len(p) >= 3 and p[1] in 'tTwW' and len(p[0]) == 8:
                try:
                    syms.append((int(p[0], 16), p[2]))
                except ValueError:
                    pass
        else:
            sys.exit('boot-phases: no /proc/kallsyms from the guest (GUEST_PROFILE needs its shell)')
    finally:
        timer.cancel()
    syms.sort()
    if not syms or syms[-1][0] == 0:
        sys.exit('boot-phases: the guest hid its symbols\' addresses (kptr_restrict)')
    return syms


def read_samples(path):
    """The PC sampler's whole lines: [(monotonic seconds, linear address)] (the last may be half written)."""
    out = []
    for line in open(path):
        p = line.split()
        if len(p) == 2 and line.endswith('\n'):
            out.append((int(p[0]) / 1e9, int(p[1], 16)))
    return out


def print_guest_profile(samples, syms, ends, top):
    """Each phase's functions with the most PC samples."""
    addrs = [a for a, _ in syms]
    start = float('-inf')
    for (name, _), end in zip(MARKS, ends):
        counts, n = {}, 0
        for t, pc in samples:
            if start <= t < end:
                n += 1
                i = bisect.bisect_right(addrs, pc) - 1
                if i >= 0 and pc - addrs[i] < 0x10000 and addrs[0] <= pc:
                    key = syms[i][1]
                else:
                    key = '[linear %08x-%08x]' % (pc & ~0xffff, pc | 0xffff)
                counts[key] = counts.get(key, 0) + 1
        print('%-6s guest PC samples: %d' % (name, n))
        for key, c in sorted(counts.items(), key=lambda kv: -kv[1])[:top]:
            print('       %5.1f %%  %s' % (100.0 * c / n, key))
        start = end


def main():
    jh = java_home()
    launcher = os.environ.get('MACHINA_LAUNCHER',
                              ROOT + '/distributions/full/target/machina/lib/launcher-0.1.0-SNAPSHOT.jar')
    if not os.path.isfile(launcher):
        sys.exit('boot-phases: build the distribution first (./machina --help builds it)')
    subprocess.run([ROOT + '/scripts/guest-images.sh'], stdout=sys.stderr, check=True)
    work = tempfile.mkdtemp()
    qmp = work + '/qmp'
    # no --enable-native-access (the launcher's manifest grants it): an AOT cache holds the options it was written with
    aot = ['-XX:AOTCache=' + os.environ['AOT']] if os.environ.get('AOT') else []
    cmd = [jh + '/bin/java', '--sun-misc-unsafe-memory-access=allow'] + aot + [
           '@' + os.environ.get('OPTS', ROOT + '/scripts/jvm/machine.options'), '-jar', launcher, 'run',
           '-machine', 'pc', '-cpu', 'pentium3', '-accel', os.environ.get('ACCEL', 'tcg'), '-m', '256', '-nographic',
           '-kernel', ROOT + '/images/vmlinuz', '-initrd', ROOT + '/images/initramfs.cpio.gz',
           '-append', 'console=ttyS0 earlyprintk=serial,ttyS0,115200 panic=-1 cryptomgr.notests noisapnp',
           '-qmp', 'unix:%s,server=on,wait=off' % qmp]
    profile_top = int(os.environ.get('GUEST_PROFILE', '0'))
    pc_file = work + '/pc-samples'
    if profile_top:
        cmd[cmd.index('-jar'):cmd.index('-jar')] = ['-Dmachina.x86.samplePc=' + pc_file]
    perf_out = os.environ.get('PERF')
    if perf_out:
        # perf starts the JVM, so it follows every thread the JVM starts later (compiler threads
        # among them) and records the code cache's growth: attached with -p, it missed both and
        # left half of the machine thread's samples in JIT code without a map
        cmd = ['perf', 'record', '-q', '-k', 'CLOCK_MONOTONIC', '-F', '499', '-o', perf_out, '--'] + cmd
    t0 = time.time()
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if profile_top else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    pid = java_pid(proc.pid) if perf_out else proc.pid
    snaps, done = [], threading.Event()

    def snapshot_perf_maps():
        while not done.wait(2):
            subprocess.run([jh + '/bin/jcmd', str(pid), 'Compiler.perfmap'], capture_output=True)
            snap = '%s/perf-map-%d' % (work, len(snaps))
            try:
                shutil.copy('/tmp/perf-%d.map' % pid, snap)
                snaps.append(snap)
            except OSError:
                pass

    if perf_out:
        threading.Thread(target=snapshot_perf_maps, daemon=True).start()
    rows = []
    try:
        for line in proc.stdout:
            line = line.decode(errors='replace')
            if MARKS[len(rows)][1] in line:
                rows.append((MARKS[len(rows)][0], time.time() - t0, time.monotonic(), thread_cpu(pid),
                             cpu_stats(qmp)))
                if len(rows) == len(MARKS):
                    break
        if len(rows) < len(MARKS):
            sys.exit('boot-phases: the machine ended before %s' % MARKS[len(rows)][1])
        if profile_top:
            kallsyms = read_kallsyms(proc)
            samples = read_samples(pc_file)  # the lines the sampler has flushed (it runs until the JVM ends)
        if perf_out:
            subprocess.run([jh + '/bin/jcmd', str(pid), 'Compiler.perfmap'], capture_output=True)
            done.set()
            os.kill(pid, signal.SIGTERM)  # perf writes its file when the JVM has ended
            proc.communicate()
            write_merged_map(snaps + ['/tmp/perf-%d.map' % pid], '/tmp/perf-%d.map' % pid)
    finally:
        done.set()
        proc.terminate()
        proc.wait()
        shutil.rmtree(work, ignore_errors=True)
    prev = None
    for name, wall, mono, cpu, stats in rows:
        cur = {'wall': wall, 'machine': cpu.get('machine-run', 0),
               'C1': sum(v for k, v in cpu.items() if k.startswith('C1')),
               'C2': sum(v for k, v in cpu.items() if k.startswith('C2'))}
        cur.update({k: stats.get(k, 0) for k in KEYS})
        d = cur if prev is None else {k: cur[k] - prev[k] for k in cur}
        print('%-6s wall %6.2f s  machine thread %6.2f s  C1 %6.2f s  C2 %6.2f s  (ends at monotonic %.3f)'
              % (name, d['wall'], d['machine'], d['C1'], d['C2'], mono))
        print('       ' + ' '.join('%s=%d' % (k, d[k]) for k in KEYS))
        prev = cur
    total = rows[-1][3]
    print('total  wall %6.2f s  machine thread %6.2f s  C1 %6.2f s  C2 %6.2f s'
          % (rows[-1][1], total.get('machine-run', 0), sum(v for k, v in total.items() if k.startswith('C1')),
             sum(v for k, v in total.items() if k.startswith('C2'))))
    if perf_out:
        print('perf: %s, symbols in /tmp/perf-%d.map; e.g. perf report -i %s --comm machine-run --sort sym '
              '--time START,END' % (perf_out, pid, perf_out))
    if profile_top:
        print_guest_profile(samples, kallsyms, [r[2] for r in rows], profile_top)


if __name__ == '__main__':
    main()
