package org.machina.cpu.x86;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ref.WeakReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.locks.LockSupport;

/**
 * Where the guest spends its time: samples the linear address of CS:EIP at a fixed interval from
 * a daemon thread of its own and writes one line per sample, {@code NANOS LINEAR} (the host's
 * {@link System#nanoTime}, CLOCK_MONOTONIC on Linux, in decimal; the address in hex), so a script
 * can split the samples by time and map them to the guest's symbols
 * ({@code GUEST_PROFILE=N scripts/bench/boot-phases.py} maps them to the Linux guest's
 * {@code /proc/kallsyms}).
 *
 * <p>Turned on by the JVM system property {@code machina.x86.samplePc=FILE} (every 100 us; {@code
 * machina.x86.samplePcMicros=N} for another interval), like {@code machina.x86.dumpBlocks}: a tool
 * for whoever works on speed, not a machine option. The machine thread is not stopped or slowed
 * (no lock, no safepoint): the sampler reads two plain int fields, so a sample may pair the CS base
 * of one instruction with the EIP of the next, which a profile does not notice. A translated block
 * moves EIP at its exits only, so its samples count at its start, inside the same function but
 * for blocks that go on at a CALL's target. The thread ends when its CPU is collected.
 */
final class PcSampler implements Runnable {
    /** Samples written between flushes (about 0.4 s at the default interval). */
    private static final int FLUSH_EVERY = 4096;

    private final WeakReference<X86Cpu> cpu;
    private final Path file;
    private final long intervalNanos;

    private PcSampler(X86Cpu cpu, Path file, long intervalNanos) {
        this.cpu = new WeakReference<>(cpu);
        this.file = file;
        this.intervalNanos = intervalNanos;
    }

    /** Starts a sampler for {@code cpu} when the system property asks for one; returns its thread or null. */
    static Thread startIfAsked(X86Cpu cpu) {
        String file = System.getProperty("machina.x86.samplePc");
        if (file == null || file.isEmpty()) return null;
        long micros = Long.getLong("machina.x86.samplePcMicros", 100);
        if (micros < 1) throw new IllegalArgumentException("machina.x86.samplePcMicros must be at least 1: " + micros);
        return start(cpu, Path.of(file), micros * 1000);
    }

    /** Starts sampling {@code cpu} into {@code file} (replaced) every {@code intervalNanos}. */
    static Thread start(X86Cpu cpu, Path file, long intervalNanos) {
        Thread t = new Thread(new PcSampler(cpu, file, intervalNanos), "x86-pc-sampler");
        t.setDaemon(true);
        t.start();
        return t;
    }

    @Override
    public void run() {
        try (BufferedWriter w = Files.newBufferedWriter(file)) {
            StringBuilder line = new StringBuilder(32);
            for (long n = 1; ; n++) {
                LockSupport.parkNanos(intervalNanos);
                X86Cpu c = cpu.get();
                if (c == null || Thread.interrupted()) break;
                int linear = c.segBase[X86State.CS] + c.eip;
                c = null; // no strong reference while parked: the CPU stays collectable
                line.setLength(0);
                line.append(System.nanoTime()).append(' ').append(Integer.toHexString(linear)).append('\n');
                w.append(line);
                if (n % FLUSH_EVERY == 0) w.flush();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the x86 PC samples to " + file, e);
        }
    }
}
