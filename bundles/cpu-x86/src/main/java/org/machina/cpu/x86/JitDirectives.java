package org.machina.cpu.x86;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.management.ObjectName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells HotSpot to compile translated blocks with its C1 compiler only.
 *
 * <p>Measured in the Debian guest (issue 15): with C2 allowed, every hot block was compiled
 * twice, and C2 inlined the block's helpers (memory access, flags, the ALU) into 10-35 kB of
 * machine code per block, 0.1-0.6 s of compiler time each. Tens of thousands of blocks kept the
 * compiler threads busy for most of the run: the JIT took 92 s of CPU during a 98 s shell
 * pipeline, leaving the machine thread a fraction of a core. C1 compiles a block in about a
 * millisecond; the helpers it calls are themselves compiled by C2 once, for all blocks.
 *
 * <p>The few blocks a guest spends most of its time in are the exception ({@link Mmu#hotRuns}):
 * translated again into classes named {@code HotCode}, which the directive does not match, they
 * are compiled by C2 with HotSpot's usual thresholds (50-250 ms each; about 180 in a Linux boot).
 *
 * <p>With the inline TLB hit path in hot code ({@code -Dmachina.x86.inlineTlb=hot}, see
 * {@link BlockCompiler}), C1's profiling compilation of a {@code HotCode} block, which comes before
 * C2's, calls the raw loads and stores ({@code Mmu.raw*}) instead of inlining their memory-segment
 * access (about 700 bytes of bytecode each): a second directive; C2 still inlines them.
 *
 * <p>The translator itself (BlockCompiler, FlagCode, InsnDecoder and the JDK's ClassFile API)
 * runs in C1's code: C2 took 1.5 s of its CPU in a boot to /init compiling
 * {@code BlockCompiler$Emitter} 16 times (and 0.8 s the ClassFile API), a Linux boot translates
 * 1,500-2,000 blocks, and the C2 queue is what hot code waits for. A third directive:
 * translations took 10 % more of the machine thread (0.77-0.82 s against 0.67-0.75 s a boot),
 * but hot code was compiled sooner; five alternating boots to /init,
 * wall 20.07-20.64 s (mean 20.39) against 20.47-21.04 s (20.74), C2 7.1-7.7 s against 8.1-8.5 s.
 * FlagCode and InsnDecoder joined it later: C2 had spent 0.55 s a boot on them.
 *
 * <p>The directive ({@code c2: Exclude} for {@code org/machina/cpu/x86/TranslatedCode*.*}) is
 * added once per JVM through the {@code DiagnosticCommand} MBean, the in-process form of
 * {@code jcmd PID Compiler.directives_add}. On a JVM without it the translator works as before,
 * and that is logged once.
 */
final class JitDirectives {
    private static final Logger LOG = LoggerFactory.getLogger(JitDirectives.class);
    /** Whether the directive was added, once tried. */
    private static Boolean installed;

    /**
     * The directives: C1 only for the hidden classes {@link BlockCompiler} defines and for the
     * translator itself, and no raw access inlined into hot code by C1.
     */
    static final String C1_ONLY_FOR_BLOCKS =
            "[{ match: \"org/machina/cpu/x86/TranslatedCode*.*\", c2: { Exclude: true } },"
            + " { match: \"org/machina/cpu/x86/HotCode*.*\", c1: { inline: \"-org/machina/cpu/x86/Mmu.raw*\" } },"
            + " { match: [\"org/machina/cpu/x86/BlockCompiler*.*\", \"org/machina/cpu/x86/FlagCode*.*\","
            + " \"org/machina/cpu/x86/InsnDecoder*.*\", \"java/lang/classfile/*.*\", \"jdk/internal/classfile/*.*\"],"
            + " c2: { Exclude: true } }]";

    private JitDirectives() {
    }

    /** Adds the directive, once per JVM; returns whether it is in place. */
    static synchronized boolean install() {
        if (installed == null) {
            installed = add();
        }
        return installed;
    }

    private static boolean add() {
        Path file = null;
        try {
            file = Files.createTempFile("machina-jit-", ".json");
            Files.writeString(file, C1_ONLY_FOR_BLOCKS);
            Object added = ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "compilerDirectivesAdd",
                    new Object[] {new String[] {file.toString()}}, new String[] {String[].class.getName()});
            // the JVM answers "N compiler directives added", or why it refused them all
            if (!String.valueOf(added).contains("compiler directives added")) {
                LOG.warn("the JVM refused the compiler directives for translated blocks: {}", added);
                return false;
            }
            LOG.debug("compiler directives for translated blocks added: {}", added);
            return true;
        } catch (Exception | LinkageError e) {
            LOG.warn("cannot ask the JVM to compile translated blocks with C1 only ({}); its C2 compiler will "
                    + "spend much of the CPU on them", e.toString());
            return false;
        } finally {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (java.io.IOException ignored) {
                    // a temporary file
                }
            }
        }
    }
}
