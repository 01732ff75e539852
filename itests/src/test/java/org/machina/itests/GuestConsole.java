package org.machina.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Linux guest booted by the built distribution's launcher ({@code java -jar launcher.jar run
 * ... -nographic}) with the test busybox initramfs, driven over its serial console: waits for
 * {@code /init}'s MACHINA-INIT-OK and the shell prompt, then runs commands between echo markers
 * ({@code __BEGIN_n__}, {@code __END_n_STATUS__}, spelled with an empty quoted string in the middle
 * so the shell's echo of the typed line never matches). Output is copied to {@code console.txt}.
 * LinuxGuestIT (which starts the launcher itself, {@link #of}) and UvcGuestIT ({@link #boot}) use it.
 */
final class GuestConsole implements AutoCloseable {
    static final Pattern PROMPT = Pattern.compile("[#$] ");
    /**
     * Kernel parameters every test boot adds: no crypto self-tests (on QEMU they are 3.3 s of the
     * 7.4 s to /init, the same share of Machina's instructions: {@code initcall_debug} shows
     * {@code crypto_algapi_init} running them) and no ISA Plug and Play probe (0.4 s of port
     * polling). Nothing a test checks depends on either.
     */
    static final String FAST_BOOT = "cryptomgr.notests noisapnp";
    /** A kernel message on the console; it may start in the middle of a command's output line. */
    static final Pattern KERNEL_MESSAGE = Pattern.compile("\\[ *\\d+\\.\\d{6}\\] [^\n]*\n");

    /** What a command printed between its markers, its exit status, and when the markers arrived. */
    record Output(int status, String text, long startNanos, long endNanos) {
        List<String> lines() {
            return text.lines().toList();
        }

        /** The non-blank lines a command printed (with its status checked). */
        List<String> nonBlank() {
            assertEquals(0, status, "exit status; " + this);
            return lines().stream().filter(s -> !s.isBlank()).toList();
        }

        /** The one line a command printed (with its status checked). */
        String single() {
            List<String> l = nonBlank();
            assertEquals(1, l.size(), "one line of output expected; " + this);
            return l.get(0);
        }

        @Override
        public String toString() {
            return "status " + status + ", output:\n" + text;
        }
    }

    /** Where a pattern matched: its span, its first group (or the whole match), and when it arrived. */
    record Match(int start, int end, String group, long nanos) {
    }

    private final Process process;
    private final Path stderr;
    private final StringBuilder text = new StringBuilder();
    private final List<long[]> arrivals = new ArrayList<>();    // {length after the piece, nanoTime}
    private final OutputStream in;
    private final Thread reader;
    private int commands;
    private String unresponsive;
    private String bootLog = "";

    private GuestConsole(Process process, Path copy, Path stderr) throws IOException {
        this.process = process;
        this.stderr = stderr;
        this.in = process.getOutputStream();
        InputStream out = process.getInputStream();
        OutputStream file = Files.newOutputStream(copy);
        reader = Thread.ofPlatform().daemon().name("guest-console").start(() -> {
            byte[] buf = new byte[8192];
            try (file) {
                int n;
                while ((n = out.read(buf)) > 0) {
                    long now = System.nanoTime();
                    file.write(buf, 0, n);
                    file.flush();
                    String s = new String(buf, 0, n, StandardCharsets.ISO_8859_1).replace("\r", "");
                    synchronized (this) {
                        text.append(s);
                        arrivals.add(new long[] {text.length(), now});
                        notifyAll();
                    }
                }
            } catch (IOException e) {
                // the process ended
            }
            synchronized (this) {
                notifyAll();
            }
        });
    }

    /**
     * The console of a launcher process started by the caller: its output copied to {@code copy},
     * {@code stderr} the file its standard error goes to (for failure messages).
     */
    static GuestConsole of(Process process, Path copy, Path stderr) throws IOException {
        return new GuestConsole(process, copy, stderr);
    }

    /**
     * The JVM options every machine runs with, as the machina script passes them: the argument
     * file {@code @ROOT/scripts/jvm/machine.options}, found above the working directory.
     */
    static String machineJvmOptions() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path f = dir.resolve("scripts/jvm/machine.options");
            if (Files.isRegularFile(f)) return "@" + f;
        }
        throw new IllegalStateException("scripts/jvm/machine.options not found above " + Path.of("").toAbsolutePath());
    }

    /**
     * Starts {@code java -jar LAUNCHER run ARGS} with {@code MACHINA_HOME} in {@code dir}, the console
     * copied to {@code dir/console.txt} and stderr to {@code dir/machina-stderr.txt}, and waits for
     * the shell prompt.
     */
    static GuestConsole boot(Path launcher, Path dir, List<String> runArgs, long bootTimeoutS) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", machineJvmOptions(), "-jar", launcher.toString(), "run"));
        cmd.addAll(runArgs);
        Path err = dir.resolve("machina-stderr.txt");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(err.toFile());
        pb.environment().put("MACHINA_HOME", dir.resolve("home").toString());
        GuestConsole c = new GuestConsole(pb.start(), dir.resolve("console.txt"), err);
        long started = System.nanoTime();
        int initOk = c.await(Pattern.compile("MACHINA-INIT-OK"), 0, bootTimeoutS, "/init's MACHINA-INIT-OK marker").end();
        Match prompt = c.await(PROMPT, initOk, 300, "the shell prompt after MACHINA-INIT-OK");
        c.bootLog = c.text().substring(0, prompt.end());
        System.out.printf("GuestConsole: shell prompt %.1f s after the launcher started%n", (prompt.nanos() - started) / 1e9);
        return c;
    }

    /** The console up to the first shell prompt. */
    String bootLog() {
        return bootLog;
    }

    /** Types one command line and waits up to {@code timeoutS} for its end marker. */
    Output shell(String command, long timeoutS) throws Exception {
        if (unresponsive != null) {
            fail("skipped '" + command + "': the guest stopped answering earlier (" + unresponsive + ")");
        }
        int n = ++commands;
        int from = length();
        type("echo \"__BEG\"\"IN_" + n + "__\"; " + command + "; echo \"__EN\"\"D_" + n + "_$?__\"\n");
        // no newline after either marker in the patterns: a kernel message printed while the shell
        // echoes may come between a marker and its newline (the SBP-2 login did, once)
        Match begin = await(Pattern.compile("__BEGIN_" + n + "__"), from, timeoutS, "the start marker of '" + command + "'");
        Match end = await(Pattern.compile("__END_" + n + "_(\\d+)__"), begin.end(), timeoutS,
                "the end marker of '" + command + "'");
        String out = KERNEL_MESSAGE.matcher(text().substring(begin.end(), end.start())).replaceAll("");
        return new Output(Integer.parseInt(end.group()), out, begin.nanos(), end.nanos());
    }

    /** Types {@code line} on the serial console as it is. */
    void type(String line) throws IOException {
        in.write(line.getBytes(StandardCharsets.US_ASCII));
        in.flush();
    }

    /** Waits for the reader to see the end of the output after the process ended. */
    void drain() throws InterruptedException {
        reader.join(TimeUnit.SECONDS.toMillis(30));
    }

    synchronized int length() {
        return text.length();
    }

    synchronized String text() {
        return text.toString();
    }

    /** The last console output and machina's stderr, for failure messages. */
    String context() throws IOException {
        String err = Files.exists(stderr) ? Files.readString(stderr) : "";
        return "\n--- last console output:\n" + tail(text(), 3000) + "\n--- machina stderr:\n" + tail(err, 3000);
    }

    static String tail(String s, int n) {
        return s.length() <= n ? s : "..." + s.substring(s.length() - n);
    }

    /** Waits until {@code p} matches the text from {@code from}; fails with the console's end on timeout. */
    Match await(Pattern p, int from, long timeoutS, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutS);
        synchronized (this) {
            while (true) {
                Matcher m = p.matcher(text);
                if (m.find(from)) {
                    return new Match(m.start(), m.end(), m.groupCount() > 0 ? m.group(1) : m.group(), arrivalOf(m.end()));
                }
                long left = deadline - System.nanoTime();
                if (left <= 0 || !reader.isAlive()) {
                    String why = left <= 0 ? "no " + what + " within " + timeoutS + " s"
                            : "the console closed before " + what + " (machina "
                                    + (process.isAlive() ? "still running" : "exited with " + process.waitFor()) + ")";
                    unresponsive = why;
                    fail(why + context());
                }
                TimeUnit.NANOSECONDS.timedWait(this, Math.min(left, TimeUnit.SECONDS.toNanos(1)));
            }
        }
    }

    private long arrivalOf(int end) {
        for (long[] a : arrivals) {
            if (a[0] >= end) {
                return a[1];
            }
        }
        throw new IllegalStateException("no arrival for " + end);
    }

    /** Types poweroff and waits for the process to end; kills it if it does not. Returns its exit status or -1. */
    int powerOff(long timeoutS) throws Exception {
        if (process.isAlive() && unresponsive == null) {
            type("poweroff\n");
            if (process.waitFor(timeoutS, TimeUnit.SECONDS)) {
                reader.join(TimeUnit.SECONDS.toMillis(30));
                return process.exitValue();
            }
        }
        close();
        return -1;
    }

    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }
}
